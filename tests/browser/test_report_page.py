"""The HTML report in a real browser: Debian's Chromium, headless, driven over the DevTools Protocol
(scripts/chromium.py). The page must render its alerts, charts and files table, log no error, and ask the network
for nothing but its own file; a page that pulls a remote resource must fail the same check."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesdq.local.run import stack_of
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq.operators.report import ReportRequest, build_report
from salesdq.reports import Report, render_html, write_html
from salesdq_engine import Engine
from scripts.chromium import Browser, Page, Visit, chromium_path

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "tests" / "data" / "report-sample.json"
REMOTE_IMAGE = '<img src="http://example.invalid/x.png">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if chromium_path() is None:  # never skipped: `make test` installs it first, so its absence is a broken set-up
        pytest.fail("no /usr/bin/chromium: `make browser` installs Debian's chromium")
    with Browser() as started:
        yield started


@pytest.fixture(scope="module")
def report() -> Report:
    return Report.from_json(SAMPLE.read_text())


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The report of a real run on the embedded engine: the brief's sample, mock-data.json, a rejected file and
    a duplicate upload, through the whole workflow, then `salesdq report`'s computation."""
    data = tmp_path_factory.mktemp("real-run")
    rejected = data / "truncated.json"
    rejected.write_text('{"orders": [')
    copy = data / "brief-sample-copy.json"
    copy.write_bytes((ROOT / "tests" / "data" / "brief-sample.json").read_bytes())
    files = [ROOT / "tests" / "data" / "brief-sample.json", ROOT / "mock-data.json", rejected, copy]
    with Engine() as engine:
        stack = stack_of(engine)
        for path in files:
            upload_and_follow(stack, path, Progress())
        return build_report(stack, ReportRequest())


def offline_problems(visit: Visit) -> list[str]:
    """Everything that says the page is not a self-contained file that renders cleanly."""
    return [f"request for {url}" for url in visit.foreign_requests] + visit.errors


def elements(page: Page, selector: str, expression: str = "e.textContent.trim()") -> list[object]:
    result = page.evaluate(f"[...document.querySelectorAll({selector!r})].map(e => {expression})")
    assert isinstance(result, list)
    return result


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_report_page_renders_offline(browser, report, tmp_path):
    page = browser.open(write_html(report, tmp_path / "report.html"))

    assert offline_problems(page.visit) == []
    assert page.visit.requests == [page.visit.url]  # the file itself, and nothing else
    assert page.evaluate("document.scripts.length") == 0
    # alerts first, each reason as the report says it
    assert elements(page, "main > section", "e.id")[0] == "alerts"
    alerts = elements(page, "#alerts li.alert")
    assert len(alerts) == len(report.alerts)
    assert all(a.reason in str(text) for a, text in zip(report.alerts, alerts, strict=True))
    # the charts: one drawn bar per rule and per field, one per day that has a score
    rule_bars = elements(page, "#chart-failures-by-rule rect.bar", "e.dataset.name")
    assert rule_bars == [r.rule for r in report.failures.by_rule]
    widths = elements(page, "svg.chart rect.bar", "e.getBoundingClientRect().width")
    assert widths and all(isinstance(w, int | float) and w > 0 for w in widths)
    assert len(elements(page, "#chart-failures-by-field rect.bar")) == len(report.failures.by_field)
    scored = [d.day for d in report.days if d.quality_score is not None]
    assert elements(page, "#chart-score-by-day rect.bar", "e.dataset.day") == scored
    assert elements(page, "#chart-score-by-day rect.bar.alert", "e.dataset.day") == ["2024-03-05", "2024-03-06"]
    # the files table: a row per file, hostile-looking names shown as the text they are
    names = elements(page, "#files-table tbody tr td.file", "e.firstChild.textContent")
    assert names == [f.file for f in report.files]
    assert elements(page, "#files-table tbody tr.status-rejected td.status") == ["rejected"]
    # it fits the window: nothing runs off to the right
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    width, height = png_size(page.screenshot())
    assert width >= 1200 and height > 1500


def test_printed_page_shows_everything(browser, report, tmp_path):
    page = browser.open(write_html(report, tmp_path / "report.html"))
    page.call("Emulation.setEmulatedMedia", media="print")
    assert page.evaluate("matchMedia('print').matches")
    # six sections, three charts, the files table: all laid out on paper
    heights = elements(page, "main > section, svg.chart, #files-table", "e.getBoundingClientRect().height")
    assert len(heights) == 6 + 3 + 1 and all(isinstance(h, int | float) and h > 0 for h in heights)
    pdf = page.print_pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert offline_problems(page.visit) == []


def test_empty_report_page(browser, tmp_path):
    empty = Report.from_dict({**Report.from_json(SAMPLE.read_text()).to_dict(), "empty": True, "files": []})
    page = browser.open(write_html(empty, tmp_path / "empty.html"))
    assert offline_problems(page.visit) == []
    assert elements(page, "#empty") == ["This report is empty: no file arrived in 2024-03-01 to 2024-03-08."]
    assert elements(page, "svg") == []


@pytest.mark.parametrize("keep_csp", [True, False], ids=["with-csp", "without-csp"])
def test_a_page_pulling_a_remote_resource_fails_the_check(browser, report, tmp_path, keep_csp):
    """The check catches a remote image: the request itself (Network.requestWillBeSent), whether the page's
    Content-Security-Policy then blocks it (an error logged too) or not (the network check alone)."""
    markup = render_html(report).replace("<main>", f"<main>{REMOTE_IMAGE}", 1)
    if not keep_csp:
        markup = markup.replace('http-equiv="Content-Security-Policy"', 'name="no-policy"', 1)
    path = tmp_path / "leaky.html"
    path.write_text(markup)

    page = browser.open(path)

    problems = offline_problems(page.visit)
    assert problems[0] == "request for http://example.invalid/x.png"
    assert page.visit.foreign_requests == ["http://example.invalid/x.png"]
    if keep_csp:
        assert any("Content Security Policy" in p for p in problems[1:])


def test_the_page_of_a_real_run(browser, real_report, tmp_path):
    report = real_report
    assert [f.status for f in report.files] == ["completed", "completed", "rejected", "duplicate"]
    page = browser.open(write_html(report, tmp_path / "report.html"))

    assert offline_problems(page.visit) == []
    assert page.visit.requests == [page.visit.url]
    alerts = elements(page, "#alerts li.alert")
    assert len(alerts) == len(report.alerts) >= 1  # mock-data.json scores far below the sample before it
    assert all(a.reason in str(text) for a, text in zip(report.alerts, alerts, strict=True))
    assert elements(page, "#chart-failures-by-rule rect.bar", "e.dataset.name") == [
        r.rule for r in report.failures.by_rule
    ]
    assert len(elements(page, "#chart-failures-by-field rect.bar")) == len(report.failures.by_field)
    scored = [d.day for d in report.days if d.quality_score is not None]
    assert elements(page, "#chart-score-by-day rect.bar", "e.dataset.day") == scored
    names = elements(page, "#files-table tbody tr td.file", "e.firstChild.textContent")
    assert names == [f.file for f in report.files]
    assert elements(page, "#files-table tbody tr.status-rejected td.status") == ["rejected"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.call("Emulation.setEmulatedMedia", media="print")
    assert page.print_pdf().startswith(b"%PDF")
    assert offline_problems(page.visit) == []
