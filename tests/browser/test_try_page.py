"""`salesdq contract try --html`: the what-if's page in a real browser (Debian's Chromium, headless, as
test_report_page.py drives it). Two files over the same order ids run on the embedded engine; the page must show
the totals, a row per direction of change with its example quarantine ids and a row per file, counted from the
generated input, render offline with no script, and print."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from salesdq.cli import main
from salesdq.local.run import stack_of
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from scripts.chromium import Browser
from tests.e2e.helpers import write_json
from tests.e2e.test_contract_try import PROPOSAL, changes, mixed, outcomes, repeats, valid_now, valid_then

from .test_report_page import browser, elements, offline_problems  # noqa: F401 (the browser fixture)

HOSTILE = "<b>odd & name.json"  # a file name is the user's text: shown as it is, never markup


@pytest.fixture(scope="module")
def tried(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The page and the JSON document of one `contract try` over two files, and what the oracle expects."""
    data = tmp_path_factory.mktemp("try-page")
    first, _ = mixed(40, seed=31, prefix="P")
    second = repeats(first, seed=32)
    with Engine(retry_wait_scale=0.01) as engine, pytest.MonkeyPatch.context() as patch:
        stack = stack_of(engine)
        with contextlib.redirect_stdout(io.StringIO()):  # the functions' logs
            upload_and_follow(stack, write_json(data, "first.json", {"orders": first}), Progress())
            upload_and_follow(stack, write_json(data, HOSTILE, {"orders": second}), Progress())
        patch.setattr("salesdq.cli.contract.stack_ref", lambda args: stack)
        page, document = data / "try.html", io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["contract", "try", str(PROPOSAL), "--html", str(page), "--fail-under", "99%"]) == 1
        with contextlib.redirect_stdout(document):
            assert main(["contract", "try", str(PROPOSAL), "--json"]) == 0
    then, now = outcomes([first, second], valid_then), outcomes([first, second], valid_now)
    good = sum(o in ("stored", "duplicate") for file in now for o in file)
    yield {
        "page": page,
        "found": json.loads(document.getvalue()),
        "changed": changes(then, now),
        "score_now": round(good / (len(first) + len(second)), 4),
    }


def test_the_try_page_shows_what_would_change(browser: Browser, tried: dict[str, Any]) -> None:  # noqa: F811
    page = browser.open(tried["page"])
    found = tried["found"]

    assert offline_problems(page.visit) == []
    assert page.visit.requests == [page.visit.url]
    assert page.evaluate("document.scripts.length") == 0
    assert elements(page, "main > section", "e.id") == ["totals", "changes", "files"]
    assert elements(page, "#total-would-change dd") == [str(len(tried["changed"]))]
    assert elements(page, "#total-score-under-the-proposal dd") == [f"{tried['score_now'] * 100:.1f}%"]
    assert elements(page, "#totals .fail-under") != []  # --fail-under 99%: the proposal scores under it
    # a row per direction, its count from the oracle, its examples the quarantine ids of records that change
    by_direction: dict[str, int] = {}
    for _, _, was, now in tried["changed"]:
        by_direction[f"{was} -> {now}"] = by_direction.get(f"{was} -> {now}", 0) + 1
    rows = elements(page, "#changes-table tbody tr", "[...e.cells].slice(0, 2).map(c => c.textContent)")
    assert {direction: int(count) for direction, count in rows} == by_direction  # type: ignore[misc]
    changed_ids = {c["quarantine_id"] for f in found["files"] for c in f["changes"]}
    shown = elements(page, "#changes-table td.examples code")
    assert shown and set(shown) <= changed_ids
    # a row per file, in arrival order, the odd name shown as the text it is
    names = elements(page, "#files-table tbody td.file", "e.firstChild.textContent")
    assert names == ["incoming/first.json", f"incoming/{HOSTILE}"]
    assert page.evaluate("document.querySelectorAll('main b').length") == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.call("Emulation.setEmulatedMedia", media="print")
    assert page.print_pdf().startswith(b"%PDF")
    assert offline_problems(page.visit) == []


def test_a_page_with_nothing_to_change(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    from salesdq.reports.try_page import write_try_html

    total = {"files": 0, "records": 0, "score_then": None, "score_now": None, "changed": 0, "directions": {}}
    window = {"since": "2026-03-01", "until": "2026-03-02", "file": None}
    found = {"contract": "2.1.0+x", "window": window, "files": [], "not_judged": [], "total": total}
    page = browser.open(write_try_html(found, tmp_path / "empty.html"))
    assert offline_problems(page.visit) == []
    assert elements(page, "#changes p") == ["No record would change."]
    assert elements(page, "header .window") == ["Files that arrived from 2026-03-01 to 2026-03-02 (UTC)"]
