"""`contract try`'s parts that need no stack: which files a window takes and in what order, which orders of the
table count as stored before a file, and how the changed records add up per file and in total (every number
here is counted by hand from the inputs)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import pytest

from salesdq.errors import NotFoundError
from salesdq.operators.contract_try import (
    EXAMPLES,
    FileTry,
    Tally,
    Window,
    WindowView,
    change_row,
    file_entry,
    in_window,
)
from salesdq.operators.run_summaries import RunSummary
from services.domain.run import Run


def summary(file_id: str, at: str, status: str = "completed", file: str | None = None) -> RunSummary:
    return RunSummary(Run(file_id=file_id, file=file or f"incoming/{file_id}.json", id=at, execution=at), status)


RUNS = [
    summary("a" * 64, "2026-03-01T09:00:00.000Z"),
    summary("b" * 64, "2026-03-01T10:00:00.000Z", status="rejected"),
    summary("c" * 64, "2026-03-02T23:59:59.999Z"),
    summary("a" * 64, "2026-03-03T08:00:00.000Z"),  # a replay of a: a's arrival stays the 1st
    summary("d" * 64, "2026-03-03T09:00:00.000Z", file="redrive/req-1.jsonl"),
    summary("e" * 64, "2026-03-04T00:00:00.000Z", status="duplicate"),
]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (Window(), ["a", "c", "d"]),
        (Window(since=date(2026, 3, 2)), ["c", "d"]),
        (Window(until=date(2026, 3, 2)), ["a", "c"]),
        (Window(since=date(2026, 3, 2), until=date(2026, 3, 2)), ["c"]),
        (Window(since=date(2026, 3, 3)), ["d"]),  # a's replay on the 3rd is no arrival
        (Window(file="cccccccc"), ["c"]),
        (Window(since=date(2026, 3, 3), file="cccccccc"), []),
    ],
)
def test_a_window_takes_each_file_read_once_at_its_first_run_in_arrival_order(window, expected):
    found = in_window(RUNS, window)
    assert [run.run.file_id[0] for run in found] == expected
    assert all(run.run.id == next(r.run.id for r in RUNS if r.run.file_id == run.run.file_id) for run in found)


def test_a_file_never_read_is_not_found():
    with pytest.raises(NotFoundError, match="no file named"):
        in_window(RUNS, Window(file="bbbbbbbb"))  # rejected: nothing to judge


def item(file_id: str, at: str, content: str = "x") -> dict[str, Any]:
    return {
        "_source": f"{file_id}#3",
        "_hash": hashlib.sha256(content.encode()).hexdigest(),
        "_file": f"incoming/{file_id}.json",
        "_at": at,
    }


class Table:
    """The orders table's `existing` read, from a dict."""

    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items, self.asked = items, []

    def existing(self, order_ids, attributes):
        self.asked.append(list(order_ids))
        return {oid: self.items[oid] for oid in order_ids if oid in self.items}


def test_a_table_order_counts_when_a_run_not_judged_stored_it_before_the_file_judged():
    table = Table(
        {
            "before": item("f" * 64, "2026-03-01T09:00:00.000Z", "one"),
            "judged": item("j" * 64, "2026-03-01T09:00:00.000Z"),  # the what-if decides this file's orders
            "later": item("f" * 64, "2026-03-05T09:00:00.000Z"),  # after the file judged: not yet stored
        }
    )
    view = WindowView(table, {"j" * 64})  # type: ignore[arg-type]
    view.arrival = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    found = view.stored(["before", "judged", "later", "absent"])
    assert set(found) == {"before"}
    assert found["before"]["_hash"] == hashlib.sha256(b"one").hexdigest()
    assert found["before"]["_file"] == f"incoming/{'f' * 64}.json"
    assert "_source" not in found["before"]  # never the record's own order

    view.store("new", item("j" * 64, "2026-03-02T00:00:00.000Z", "two"))
    table.asked.clear()
    assert view.stored(["new", "before"])["new"]["_hash"] == hashlib.sha256(b"two").hexdigest()
    assert table.asked == []  # known: not read again

    view.arrival = datetime.fromisoformat("2026-03-06T00:00:00+00:00")
    assert set(view.stored(["later"])) == {"later"}  # a file judged after it meets it


def test_with_no_table_nothing_is_read():
    view = WindowView(None, set())
    view.arrival = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    assert view.stored(["x"]) == {}


def change(index: int, was: str, now: str, reasons=(), was_rules=()) -> dict[str, Any]:
    return {
        "index": index,
        "order_id": f"O-{index}",
        "was": was,
        "now": now,
        "reasons": [{"field": f, "rule": r, "message": "m"} for f, r in reasons],
        "was_rules": list(was_rules),
    }


RUN = Run(file_id="a" * 64, file="incoming/a.json", id="2026-03-01T09:00:00.000Z", execution="e")


def test_a_change_names_its_record_and_the_rules_that_decide_it():
    tightened = change_row(RUN, change(4, "stored", "quarantined", [("q", "max"), ("q", "max"), ("e", "email")]))
    assert tightened == {
        "file": "incoming/a.json",
        "file_id": "a" * 64,
        "index": 4,
        "order_id": "O-4",
        "quarantine_id": f"{'a' * 64}:4",
        "was": "stored",
        "now": "quarantined",
        "rules": ["max", "email"],
        "fields": ["q", "e"],
    }
    relaxed = change_row(RUN, change(5, "quarantined", "stored", was_rules=["email"]), ["contact-info.email"])
    assert (relaxed["rules"], relaxed["fields"]) == (["email"], ["contact-info.email"])


def test_files_add_up_by_direction_rule_and_field_with_a_few_examples():
    one = FileTry(
        RUN,
        10,
        {"stored": 6, "duplicate": 1, "quarantined": 3},
        {"stored": 4, "duplicate": 0, "quarantined": 6},
        [change_row(RUN, change(i, "stored", "quarantined", [("q", "max")])) for i in range(EXAMPLES + 2)]
        + [change_row(RUN, change(9, "duplicate", "quarantined", [("k", "conflict")]))],
    )
    other_run = Run(file_id="b" * 64, file="redrive/r.jsonl", id="2026-03-02T09:00:00.000Z", execution="f")
    two = FileTry(
        other_run,
        5,
        {"stored": 0, "duplicate": 0, "quarantined": 5},
        {"stored": 1, "duplicate": 0, "quarantined": 4},
        [change_row(other_run, change(2, "quarantined", "stored", was_rules=["email", "missing"]), ["e", "n"])],
    )
    total = Tally()
    total.add(one)
    total.add(two)
    found = total.as_dict()
    assert (total.files, found["records"], found["changed"]) == (2, 15, EXAMPLES + 4)
    assert found["then"] == {"stored": 6, "duplicate": 1, "quarantined": 8}
    assert found["now"] == {"stored": 5, "duplicate": 0, "quarantined": 10}
    assert (found["score_then"], found["score_now"]) == (round(7 / 15, 4), round(5 / 15, 4))
    tightened = found["directions"]["stored -> quarantined"]
    assert tightened["records"] == EXAMPLES + 2
    assert (tightened["by_rule"], tightened["by_field"]) == ({"max": EXAMPLES + 2}, {"q": EXAMPLES + 2})
    assert [e["index"] for e in tightened["examples"]] == list(range(EXAMPLES))
    assert found["directions"]["duplicate -> quarantined"]["by_rule"] == {"conflict": 1}
    relaxed = found["directions"]["quarantined -> stored"]
    assert relaxed["by_rule"] == {"email": 1, "missing": 1} and relaxed["by_field"] == {"e": 1, "n": 1}
    assert relaxed["examples"] == [
        {
            "file": "redrive/r.jsonl",
            "file_id": "b" * 64,
            "index": 2,
            "order_id": "O-2",
            "quarantine_id": f"{'b' * 64}:2",
        }
    ]

    entry = file_entry(two)
    assert (entry["kind"], entry["arrived"], entry["changed"]) == ("redrive", other_run.id, 1)
    assert entry["score_then"] == 0.0 and entry["score_now"] == 0.2
    assert entry["changes"] == two.changes
    assert file_entry(one)["kind"] == "upload"


def test_no_records_have_no_score():
    assert Tally().as_dict()["score_then"] is None
