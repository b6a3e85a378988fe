"""The report document and its renderers: JSON round trip, CSVs equal to the JSON, the terminal summary, an HTML
page that escapes every value and loads nothing, and the empty report in each output."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from salesdq.reports import Report, ReportFormatError, render_html, render_text, write_csv, write_html
from salesdq.reports.model import (
    Alert,
    Failures,
    FieldFailures,
    RuleFailures,
    RuleWarnings,
    Settings,
    Totals,
    Window,
)
from salesdq.reports.terminal import render_terminal
from salesdq.reports.text import pct

SAMPLE = Path(__file__).parents[1] / "data" / "report-sample.json"
HOSTILE = "<script>alert('x')</script>\"&amp;<img src=x onerror=alert(1)>.json"


@pytest.fixture
def report() -> Report:
    return Report.from_json(SAMPLE.read_text())


def empty_report() -> Report:
    return Report(
        window=Window(since="2025-01-01", until="2025-01-31"),
        empty=True,
        totals=Totals(0, 0, 0, 0, 0, 0, None, None),
        files=[],
        failures=Failures(),
        days=[],
        alerts=[],
        settings=Settings(),
    )


def hostile_report(report: Report) -> Report:
    """Every user-controlled string replaced by markup that would run, load or break the page unescaped."""
    files = [dataclasses.replace(f, file=f"{HOSTILE}{i}", reason=HOSTILE) for i, f in enumerate(report.files)]
    alerts = [dataclasses.replace(a, file=HOSTILE, reason=f"{HOSTILE} scored low.") for a in report.alerts]
    failures = Failures(
        by_rule=[
            dataclasses.replace(r, rule=f"{HOSTILE}{r.rule}", examples=[HOSTILE]) for r in report.failures.by_rule
        ],
        by_field=[dataclasses.replace(f, field=f"{HOSTILE}{f.field}") for f in report.failures.by_field],
    )
    window = dataclasses.replace(report.window, file=HOSTILE)
    return dataclasses.replace(report, files=files, alerts=alerts, failures=failures, window=window)


# ---------------------------------------------------------------- the document


def test_sample_round_trips_through_json(report):
    assert Report.from_json(report.to_json()) == report
    assert json.loads(report.to_json()) == json.loads(SAMPLE.read_text())


def test_brief_sample_scores_052(report):
    (brief,) = [f for f in report.files if f.file.endswith("brief-sample.json")]
    assert (brief.records, brief.stored, brief.duplicates) == (100, 52, 0)
    assert brief.quality_score == 0.52


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("alerts"), r"report: missing keys \['alerts'\]"),
        (lambda d: d["totals"].update(score=1), r"report.totals: .*unknown keys \['score'\]"),
        (lambda d: d["files"][0].update(status="done"), r"report.files\[0\].status: 'done' is not one of"),
        (lambda d: d["files"][1].update(records="12"), r"report.files\[1\].records: expected int"),
        (lambda d: d["alerts"][0].update(kind="week"), r"report.alerts\[0\].kind"),
        (lambda d: d.update(empty="no"), r"report.empty: expected bool"),
    ],
)
def test_a_malformed_document_is_refused_naming_where(change, message):
    document = json.loads(SAMPLE.read_text())
    change(document)
    with pytest.raises(ReportFormatError, match=message):
        Report.from_dict(document)


# ---------------------------------------------------------------- CSV


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def parsed(cell: str, like: Any) -> Any:
    """A CSV cell read back as the type of the JSON value it stands for."""
    if cell == "":
        return None
    if isinstance(like, bool):
        raise AssertionError("no booleans in the CSVs")
    if isinstance(like, int):
        return int(cell)
    if isinstance(like, float):
        return float(cell)
    return cell


def test_csvs_equal_the_json(report, tmp_path):
    paths = write_csv(report, tmp_path / "out")
    assert [p.name for p in paths] == ["files.csv", "failures.csv", "days.csv"]
    document = json.loads(report.to_json())

    # a file's file-level rules are a list: the JSON holds them, files.csv its verdict and reason
    files = [{k: v for k, v in entry.items() if k != "file_rules"} for entry in document["files"]]
    for name, entries in (("files.csv", files), ("days.csv", document["days"])):
        header, rows = read_csv(tmp_path / "out" / name)
        assert header == list(entries[0])
        assert len(rows) == len(entries)
        for row, entry in zip(rows, entries, strict=True):
            assert {k: parsed(row[k], v) for k, v in entry.items()} == entry

    header, rows = read_csv(tmp_path / "out" / "failures.csv")
    assert header == ["by", "name", "count", "share", "examples"]
    by_rule = [
        {"rule": r["name"], "count": int(r["count"]), "share": float(r["share"]), "examples": r["examples"].split()}
        for r in rows
        if r["by"] == "rule"
    ]
    by_field = [
        {"field": r["name"], "count": int(r["count"]), "share": float(r["share"])} for r in rows if r["by"] == "field"
    ]
    assert {r["by"] for r in rows} == {"rule", "field"}
    assert by_rule == document["failures"]["by_rule"]
    assert by_field == document["failures"]["by_field"]
    assert sum(r["count"] for r in by_rule) == sum(f["count"] for f in by_field)  # the sample's own consistency


def test_csv_quotes_hostile_names(report, tmp_path):
    write_csv(hostile_report(report), tmp_path)
    _, rows = read_csv(tmp_path / "files.csv")
    assert [r["file"] for r in rows] == [f"{HOSTILE}{i}" for i in range(len(report.files))]
    assert {r["reason"] for r in rows} == {HOSTILE}


FORMULAS = ['=HYPERLINK("http://x.invalid","click")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_csv_cells_a_spreadsheet_would_run_are_quoted(report, tmp_path):
    """OWASP's CSV injection: a cell starting = + - @ tab or carriage return gets a leading single quote."""
    named = [*FORMULAS, "plain-name"]
    files = [dataclasses.replace(f, file=name, reason=name) for f, name in zip(report.files, named, strict=False)]
    failures = Failures(
        by_rule=[dataclasses.replace(r, rule=name) for r, name in zip(report.failures.by_rule, named, strict=False)],
        by_field=[dataclasses.replace(f, field=name) for f, name in zip(report.failures.by_field, named, strict=False)],
    )
    write_csv(dataclasses.replace(report, files=files, failures=failures), tmp_path)

    def shown(name: str) -> str:  # what the cell must hold: the name, quoted when it starts like a formula
        return "'" + name if name[0] in "=+-@\t\r" else name

    _, rows = read_csv(tmp_path / "files.csv")
    assert [(r["file"], r["reason"]) for r in rows[: len(named)]] == [(shown(n), shown(n)) for n in named]
    _, rows = read_csv(tmp_path / "failures.csv")
    rules = [r["name"] for r in rows if r["by"] == "rule"]
    fields = [r["name"] for r in rows if r["by"] == "field"]
    assert rules[: len(named)] == [shown(n) for n in named][: len(rules)]
    assert fields[: len(named)] == [shown(n) for n in named][: len(fields)]
    assert all(r["count"].isdigit() for r in rows)  # numbers stay numbers


def test_empty_report_csvs_have_headers_only(tmp_path):
    write_csv(empty_report(), tmp_path)
    for name in ("files.csv", "failures.csv", "days.csv"):
        lines = (tmp_path / name).read_text().splitlines()
        assert len(lines) == 1 and lines[0].count(",") >= 4, name


# ---------------------------------------------------------------- terminal


def test_plain_text_has_alerts_first_then_totals_files_failures_days(report):
    text = render_text(report)
    assert "\x1b[" not in text  # no colour
    assert not set(text) & set("─│┃━┏┓┗┛╭╮╰╯")  # no box drawing
    assert all(line == line.rstrip() for line in text.splitlines())
    order = [text.index(h) for h in ("Alerts (4)", "Totals", "Files (9)", "Failures by rule", "Failures by field")]
    assert order == sorted(order)
    assert text.index("Quality score by day") > order[-1]
    for alert in report.alerts:
        assert alert.reason in text
    assert 'incoming/Q1 "north" & <south>.json' in text
    assert re.search(r"incoming/brief-sample\.json .* 100 +52 +0 +48 +0 +52\.0% +52\.0%", text)
    assert "95.0%" in text and "95.4%" in text  # the totals' scores
    assert "below the fail-under threshold of 90.0%" not in text  # 95% is above it


def terminal_text(report: Report, width: int) -> str:
    console = Console(width=width, force_terminal=True, color_system="standard", record=True)
    render_terminal(report, console)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
def test_a_pipe_gets_every_column_and_never_a_wrapped_line(report, width):
    """`salesdq report | cat`: the console rich makes for a pipe is 80 wide (or $COLUMNS); a pipe has no width, so
    each file is one line with every column (its arrival time and reason included) and each quarantine id whole."""
    out = io.StringIO()
    render_terminal(report, Console(file=out, width=width))
    text = out.getvalue()
    assert text == render_text(report)
    lines = text.splitlines()
    (header,) = [line for line in lines if line.startswith("File ")]
    assert header.split() == [
        "File", "Arrived", "Status", "Records", "Stored", "Duplicates", "Quarantined", "Redriven", "Score", "Score",
        "now", "Reason",
    ]  # fmt: skip
    for f in report.files:
        (row,) = [line for line in lines if line.startswith(f.file + " ")]
        cells = [f.at[:16].replace("T", " "), f.status, *map(str, [f.records, f.stored, f.duplicates])]
        cells += [str(f.quarantined), str(f.redriven), pct(f.quality_score), pct(f.quality_score_now)]
        assert re.search(
            r"\s+".join(map(re.escape, cells)) + (r"\s+" + re.escape(f.reason) if f.reason else "") + "$", row
        )
    for rule in report.failures.by_rule:
        if rule.examples:
            (row,) = [line for line in lines if line.startswith(rule.rule + " ") and rule.examples[0] in line]
            assert row.endswith(rule.examples[0])


@pytest.mark.parametrize("width", [80, 100, 149, 150, 200])
def test_no_terminal_width_cuts_a_number_or_a_reason(report, width):
    text = terminal_text(report, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for f in report.files:
        numbers = [f.records, f.stored, f.duplicates, f.quarantined, f.redriven]
        scores = [pct(f.quality_score), pct(f.quality_score_now)]
        row = re.compile(r"\s+".join([f.status, *map(str, numbers), *map(re.escape, scores)]))
        (start,) = [i for i, line in enumerate(lines) if row.search(line) and line.lstrip().startswith(f.file[:8])]
        # the name folds in its column: read the column's cells down from the row's first line
        name, cells = re.sub(r"\s+", "", f.file), ""
        for line in lines[start:]:
            cells += re.sub(r"\s+", "", line.strip().split("  ")[0])
            if len(cells) >= len(name):
                break
        assert cells == name, (cells, width)
        reason = re.sub(r"\s+", "", f.reason or "")
        (header,) = [line for line in lines if line.lstrip().startswith("File ")]
        if "Reason" not in header:  # a narrow table: the reasons follow it, a line each
            assert reason in re.sub(r"\s+", "", text)
            continue
        column, cells = header.index("Reason"), ""  # a wide one: read the last column down
        for line in lines[start:]:
            cells += re.sub(r"\s+", "", line[column:])
            if len(cells) >= len(reason):
                break
        assert cells == reason, (cells, width)


def test_a_terminal_gets_tables_and_colour(report):
    console = Console(width=200, force_terminal=True, color_system="standard", record=True)
    render_terminal(report, console)
    styled = console.export_text(styles=True)
    assert "\x1b[" in styled and "─" in styled


def test_fail_under_is_said_when_the_score_is_below_it(report):
    strict = dataclasses.replace(report, settings=dataclasses.replace(report.settings, fail_under=0.99))
    assert "The score is below the fail-under threshold of 99.0%." in render_text(strict)


def test_user_text_is_never_rich_markup(report):
    marked = hostile_report(report)
    marked = dataclasses.replace(
        marked,
        window=dataclasses.replace(marked.window, file="[bold red]x[/]"),
        files=[dataclasses.replace(marked.files[0], file="[link=http://example.invalid]f[/link]")],
    )
    text = render_text(marked)
    assert "[bold red]x[/]" in text and "[link=http://example.invalid]f[/link]" in text
    assert HOSTILE in text


def test_empty_report_says_so_plainly():
    text = render_text(empty_report())
    assert "This report is empty: no file arrived in 2025-01-01 to 2025-01-31." in text
    assert "Totals" not in text and "Alerts" not in text


# ---------------------------------------------------------------- HTML


class Page(HTMLParser):
    """What a browser would see in the markup: tags with attributes, and the text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def ids(self) -> list[str]:
        return [str(a["id"]) for _, a in self.tags if "id" in a]


def test_page_is_alerts_first_then_charts_then_files(report):
    page = Page(render_html(report))
    sections = [i for i in page.ids() if i in ("alerts", "totals", "trend", "failures-by-rule", "files")]
    assert sections == ["alerts", "totals", "trend", "failures-by-rule", "files"]
    assert sum(1 for t, a in page.tags if t == "li" and "alert" in str(a.get("class"))) == len(report.alerts)
    bars = [a for t, a in page.tags if t == "rect" and "bar" in str(a.get("class"))]
    assert len([b for b in bars if "data-name" in b]) == len(report.failures.by_rule) + len(report.failures.by_field)
    assert len([b for b in bars if "data-day" in b]) == sum(1 for d in report.days if d.quality_score is not None)
    assert {b["data-day"] for b in bars if "alert" in str(b["class"])} == {"2024-03-05", "2024-03-06"}
    assert sum(1 for t, a in page.tags if t == "tr" and str(a.get("class", "")).startswith("status-")) == 9


def test_page_loads_nothing_and_runs_nothing(report):
    markup = render_html(report)
    page = Page(markup)
    assert not [t for t, _ in page.tags if t in ("script", "link", "img", "iframe", "object", "embed", "base")]
    assert not [a for _, a in page.tags if {"src", "href", "srcset", "action", "background"} & set(a)]
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
    assert "url(" not in markup and "@import" not in markup and "@font-face" not in markup
    # the one URL in the page is SVG's namespace, an identifier nothing fetches
    assert set(re.findall(r"[a-z]+://[^\s\"'<>]+", markup)) == {"http://www.w3.org/2000/svg"}
    (csp,) = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in str(csp)


def test_page_prints(report):
    markup = render_html(report)
    assert "@media print" in markup
    assert "display: none" not in markup and "display:none" not in markup  # nothing hidden, printed or not


def test_hostile_values_are_escaped_everywhere(report):
    hostile = hostile_report(report)
    markup = render_html(hostile)
    page = Page(markup)
    assert HOSTILE not in markup
    assert "<script" not in markup and "<img" not in markup
    assert [t for t, _ in page.tags if t in ("script", "img")] == []
    text = "".join(page.text)
    for entry in hostile.files:
        assert entry.file in text  # shown as the literal text the user gave
    assert text.count(HOSTILE) >= len(hostile.files) * 2 + len(hostile.alerts) + len(hostile.failures.by_rule) * 2
    data_names = [a["data-name"] for t, a in page.tags if t == "rect" and "data-name" in a]
    assert data_names[0] == hostile.failures.by_rule[0].rule  # attribute values decode to the same string


def test_empty_page_says_it_is_empty(tmp_path):
    path = write_html(empty_report(), tmp_path / "sub" / "report.html")
    page = Page(path.read_text())
    assert "This report is empty: no file arrived in 2025-01-01 to 2025-01-31." in "".join(page.text)
    assert "empty" in page.ids()
    assert not [t for t, _ in page.tags if t in ("svg", "table")]


def test_no_failures_says_so(report):
    clean = dataclasses.replace(report, failures=Failures(), alerts=[])
    page = Page(render_html(clean))
    text = "".join(page.text)
    assert "No alerts." in text and text.count("No failures.") == 2
    assert "chart-failures-by-rule" not in page.ids()


def test_one_bar_per_rule_in_order(report):
    page = Page(render_html(report))
    names = [a["data-name"] for t, a in page.tags if t == "rect" and "data-name" in a]
    assert names[: len(report.failures.by_rule)] == [r.rule for r in report.failures.by_rule]


def test_model_constructs_by_hand():
    """The report computation builds the dataclasses directly; the defaults are the documented ones."""
    assert Settings() == Settings(baseline_window=7, margin=0.05, fail_under=None)
    assert Window() == Window(None, None, None)
    alert = Alert("day", None, None, "2024-03-05", 0.48, 0.97, "Low.")
    rule = RuleFailures("missing", 3, 0.5)
    assert rule.examples == [] and FieldFailures("$", 1, 1.0).field == "$"
    assert Report.from_dict(dataclasses.replace(empty_report(), alerts=[alert]).to_dict()).alerts == [alert]


def test_warnings_show_apart_from_failures_and_a_rejected_file_alerts_in_every_output(report, tmp_path):
    """Warnings by rule (records stored with them) and a file a file-level rule rejected, in each renderer."""
    reason = "rejected by rule max_invalid: 12.5% invalid records; invalid records must be less than 10%"
    first = dataclasses.replace(report.files[0], warnings=7, verdict="rejected", reason=reason)
    warned = dataclasses.replace(
        report,
        files=[first, *report.files[1:]],
        warnings=[RuleWarnings("email_format", 7, 0.007)],
        alerts=[*report.alerts, Alert("rule", first.file, first.file_id, first.at[:10], None, None, reason)],
    )
    text = render_text(warned)
    assert "\nWarnings by rule\n" in text and "Warnings by rule" not in render_text(report)
    assert any(line.split()[:3] == ["email_format", "7", "0.7%"] for line in text.splitlines())
    assert f"! {reason}" in text
    page = render_html(warned)
    assert (
        'id="warnings-by-rule"' in page
        and "email_format" in page
        and 'id="warnings-by-rule"' not in render_html(report)
    )
    write_csv(warned, tmp_path)
    with (tmp_path / "failures.csv").open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["by"] == "warning"]
    assert rows == [{"by": "warning", "name": "email_format", "count": "7", "share": "0.007", "examples": ""}]
    assert Report.from_json(warned.to_json()) == warned  # the JSON reads back, verdict and warnings included
    with pytest.raises(ReportFormatError, match="verdict"):
        Report.from_dict({**warned.to_dict(), "files": [{**warned.to_dict()["files"][0], "verdict": "maybe"}]})
