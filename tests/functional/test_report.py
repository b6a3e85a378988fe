"""build_report() over a history the real steps wrote (validate_chunk, finalize, file events on several days, a
redrive batch): what it reads (the by-day index and keyed queries, never a record's event) and what it says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from salesdq import resources
from salesdq.errors import UsageError
from salesdq.locate import StackRef
from salesdq.operators.report import ReportRequest, build_report
from salesdq.reports.model import Settings
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob, FileRun
from services.domain.quarantine_message import Origin
from services.domain.redrive_batch import meta_key
from services.domain.run import Run
from services.ingest.finalize import finalize
from services.validator.validate_chunk import validate_chunk

from .conftest import Aws

A, B, C, R = "a" * 64, "b" * 64, "c" * 64, "e" * 64
BATCH, BATCH_ID = "redrive/r1.jsonl", "f" * 64
DAY1, DAY2, DAY3 = "2024-03-01T09:00:00.000Z", "2024-03-02T09:00:00.000Z", "2024-03-03T09:00:00.000Z"
TODAY = date(2024, 3, 10)
FILES = [  # the history's files, in arrival order, and their status
    ("incoming/a.json", "completed"),
    ("incoming/b.json", "completed"),
    ("incoming/c.json", "completed"),
    ("incoming/bad.json", "rejected"),
    ("incoming/copy.json", "duplicate"),
]


def order(order_id: str, email: str = "ada@example.com", qty: Any = 1) -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": qty},
        "contact-info": {"name": "Ada", "email": email},
    }


def run_file(
    aws: Aws,
    file_id: str,
    file: str,
    at: str,
    records: list[Any],
    origins: dict | None = None,
    replay_of: str | None = None,
) -> None:
    """A file's run as the workflow makes it: accepted (a replay's `file.replayed` first), one chunk validated,
    finalized."""
    execution = f"exec-{file_id[:4]}-{at}"
    replayed = Run(file_id=file_id, file=file, id=replay_of, execution="x") if replay_of else None
    run = Run(file_id=file_id, file=file, id=at, execution=execution, replay_of=replayed)
    if origins:
        aws.stores.inbox.put_json(meta_key(file), {str(i): o.as_dict() for i, o in origins.items()})
    if replay_of:
        file_event(aws, file_id, EventKind.FILE_REPLAYED, at, file, replay_of=replay_of)
    event = audit_events.file_event(run=run, kind=EventKind.FILE_ACCEPTED, records=len(records))
    aws.stores.audit.append([event])
    key = f"staging/{execution}/p00000/c0000000.json"
    aws.stores.inbox.put_json(key, {"records": [[i, r] for i, r in enumerate(records)]})
    validate_chunk(ChunkJob(run=run, partition=0, chunk=0, key=key), aws.stores)
    finalize(FileRun(run=run, records=len(records), chunks=1), aws.stores.audit)


def c_records() -> list[Any]:
    """c.json: 5 complete records, then 5 that are not (c5 and c6 are redriven on day 5)."""
    bad = [order("c5", email="x"), order("c6", qty=-1), None, {"order-info": {}}, order("c9", email="")]
    return [order(f"c{i}") for i in range(5)] + bad


def file_event(aws: Aws, file_id: str, kind: EventKind, at: str, file: str, **detail: Any) -> None:
    aws.stores.audit.append(
        [audit_events.file_event(run=Run(file_id=file_id, file=file, id=at, execution="x"), kind=kind, **detail)]
    )


@pytest.fixture
def history(aws: Aws) -> Aws:
    """Day 1: a.json, 9 of 10 good. Day 2: b.json, 8 of 10. Day 3: c.json 5 of 10, a rejected file, a duplicate
    of a.json. Day 5: a redrive batch fixing two of c.json's records (one stored, one quarantined again)."""
    run_file(aws, A, "incoming/a.json", DAY1, [order(f"a{i}") for i in range(9)] + [order("a9", email="bad")])
    run_file(aws, B, "incoming/b.json", DAY2, [order(f"b{i}") for i in range(8)] + [None, order("b9", qty=0)])
    run_file(aws, C, "incoming/c.json", DAY3, c_records())
    file_event(aws, R, EventKind.FILE_REJECTED, "2024-03-03T10:00:00.000Z", "incoming/bad.json", reason="not JSON")
    file_event(
        aws,
        A,
        EventKind.FILE_DUPLICATE,
        "2024-03-03T11:00:00.000Z",
        "incoming/copy.json",
        duplicate_of="incoming/a.json",
    )
    origins = {0: Origin(f"{C}:5", "incoming/c.json", 5, 2), 1: Origin(f"{C}:6", "incoming/c.json", 6, 2)}
    run_file(aws, BATCH_ID, BATCH, "2024-03-05T09:00:00.000Z", [order("c5"), order("c6", qty="none")], origins)
    return aws


@pytest.fixture
def calls(aws: Aws) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call made while the test runs: (operation, parameters)."""
    made: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        made.append((model.name, params))

    aws.ddb.meta.events.register("provide-client-params.dynamodb.*", record)
    yield made
    aws.ddb.meta.events.unregister("provide-client-params.dynamodb.*", record)


def stack(aws: Aws) -> StackRef:
    return StackRef("b", "o", resources.AUDIT.name, "q", "sm", "fn", "qv", connect=lambda service: aws.ddb)


def report(aws: Aws, **request: Any):
    return build_report(stack(aws), ReportRequest(**request), today=TODAY)


def test_finalize_keeps_failures_by_field_and_example_quarantine_ids(history: Aws) -> None:
    (event,) = [e for e in history.audit() if e["event"] == EventKind.FILE_COMPLETED and e["file_id"] == C]
    assert event["failures_by_rule"] == {"email": 2, "positive_whole": 1, "not_object": 1, "missing": 1}
    assert event["failures_by_field"] == {
        "contact-info.email": 2,
        "order-info.qty": 2,
        "$": 1,
        "contact-info": 1,
        "order-info.OrderId": 1,
        "order-info.item-id": 1,
    }
    assert event["examples_by_rule"]["email"] == [f"{C}:5", f"{C}:9"]


def test_a_redrive_batch_says_what_it_did_for_the_original_file(history: Aws) -> None:
    (batch,) = [e for e in history.audit() if e["event"] == EventKind.FILE_COMPLETED and e["file"] == BATCH]
    assert (batch["redriven"], batch["resolved"], batch["origin_files"]) == (2, 1, 1)
    (account,) = [e for e in history.audit() if e["event"] == EventKind.FILE_REDRIVEN]
    assert (account["pk"], account["batch"], account["redriven"], account["resolved"]) == (f"REDRIVEN#{C}", BATCH, 2, 1)


def test_the_whole_history(history: Aws, calls: list) -> None:
    got = report(history)

    assert [(f.file, f.status) for f in got.files] == FILES  # the redrive batch is no file: its records count in c.json
    c = got.files[2]
    assert (c.records, c.stored, c.quarantined, c.redriven, c.quality_score, c.quality_score_now) == (
        10,
        5,
        5,
        2,
        0.5,
        0.6,
    )
    assert got.files[3].reason == "not JSON" and got.files[4].reason == "same bytes as incoming/a.json"
    t = got.totals
    assert (t.files, t.records, t.stored, t.quarantined, t.redriven) == (5, 30, 22, 8, 2)
    assert (t.quality_score, t.quality_score_now) == (round(22 / 30, 4), round(23 / 30, 4))
    assert [(d.day, d.files, d.records, d.quality_score) for d in got.days] == [
        ("2024-03-01", 1, 10, 0.9),
        ("2024-03-02", 1, 10, 0.8),
        ("2024-03-03", 3, 10, 0.5),
    ]
    assert [(a.kind, a.day, a.baseline) for a in got.alerts] == [
        ("file", "2024-03-02", 0.9),
        ("file", "2024-03-03", 0.85),
        ("day", "2024-03-02", 0.9),
        ("day", "2024-03-03", 0.85),
    ]
    assert [(r.rule, r.count, r.share) for r in got.failures.by_rule][:2] == [
        ("email", 3, 0.1),
        ("not_object", 2, 0.0667),
    ]
    # one Scan of the sparse index; one keyed Query per completed file with quarantined records
    assert [(op, p.get("IndexName")) for op, p in calls if op == "Scan"] == [("Scan", "by-day")]
    keyed = [p["ExpressionAttributeValues"] for op, p in calls if op == "Query"]
    assert keyed == [{":pk": {"S": f"REDRIVEN#{x}"}} for x in (A, B, C)]


def test_a_window_reads_its_days_and_the_days_before_it_for_baselines(history: Aws, calls: list) -> None:
    got = report(history, since=date(2024, 3, 3), until=date(2024, 3, 3))

    assert [f.file for f in got.files] == ["incoming/c.json", "incoming/bad.json", "incoming/copy.json"]
    assert got.totals.records == 10
    assert [(a.kind, a.baseline) for a in got.alerts] == [("file", 0.85), ("day", 0.85)]  # a.json and b.json
    days = [p["ExpressionAttributeValues"][":v"]["S"] for op, p in calls if op == "Query" and p.get("IndexName")]
    assert days == [f"2024-02-{d}" for d in (25, 26, 27, 28, 29)] + ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert not [op for op, _ in calls if op == "Scan"]


def test_a_report_never_reads_a_records_event(history: Aws, calls: list) -> None:
    for request in ({}, {"since": date(2024, 3, 1)}, {"file": C}, {"file": "c.json"}):
        report(history, **request)
    for op, params in calls:
        assert op in ("Query", "Scan"), op
        if "IndexName" in params:
            assert params["IndexName"] == "by-day"
        else:  # a file's events, or its redrive accounts
            values = params["ExpressionAttributeValues"]
            assert op == "Query", op
            assert values.get(":p", {}).get("S") == "EVENT#" or values[":pk"]["S"].startswith("REDRIVEN#")


def test_one_file_by_id_key_or_name(history: Aws) -> None:
    for wanted in (C, "incoming/c.json", "c.json"):
        got = report(history, file=wanted)
        assert [f.file_id for f in got.files] == [C]
        assert got.window.file == wanted
        assert [(a.kind, a.baseline) for a in got.alerts] == [("file", 0.85)]  # baseline: the files before it
        assert [d.day for d in got.days] == ["2024-03-03"]
    both = report(history, file=A)
    assert [f.status for f in both.files] == ["completed", "duplicate"]


def test_an_unknown_file_a_batch_and_a_file_outside_the_window(history: Aws) -> None:
    with pytest.raises(UsageError, match=r"no file 'nope\.json' in the audit history"):
        report(history, file="nope.json")
    with pytest.raises(UsageError, match="is a redrive batch: its records count in the files they came from"):
        report(history, file=BATCH)
    outside = report(history, file=C, since=date(2024, 3, 4))
    assert outside.empty and outside.files == []


def test_bad_windows(history: Aws) -> None:
    with pytest.raises(UsageError, match="--since 2024-03-05 is after --until 2024-03-01"):
        report(history, since=date(2024, 3, 5), until=date(2024, 3, 1))
    empty = report(history, since=date(2023, 1, 1), until=date(2023, 1, 31))
    assert empty.empty and empty.days == [] and empty.totals.quality_score is None


def test_a_long_window_reads_the_index_whole(history: Aws, calls: list) -> None:
    got = report(history, since=date(2020, 1, 1), settings=Settings(fail_under=0.6))
    assert [f.file for f in got.files][:3] == ["incoming/a.json", "incoming/b.json", "incoming/c.json"]
    assert [op for op, _ in calls].count("Scan") == 1
    assert [op for op, p in calls if op == "Query" and p.get("IndexName")] == []


def test_a_replay_is_a_run_of_the_same_file(history: Aws) -> None:
    """Issue 22, item 2: a replay of c.json (day 6, after the redrive of day 5) counted as a second file (its
    records twice) and alerted against a baseline holding c.json's own first run. Expected from the input:
    c0-c4 are their own stored orders, c5 was stored by the redrive, c6 is still quarantined (its correction
    too), and the last three are quarantined still: 6 of 10 complete after the replay; then a redrive on day 7
    stores c9: 7 of 10 now (the redrive of day 5 is in the replay's outcomes: not counted twice); 5 at arrival."""
    run_file(history, C, "incoming/c.json", "2024-03-06T09:00:00.000Z", c_records(), replay_of=DAY3)
    origin = {0: Origin(f"{C}:9", "incoming/c.json", 9, 2)}
    run_file(history, "9" * 64, "redrive/r2.jsonl", "2024-03-07T09:00:00.000Z", [order("c9")], origin)
    got = report(history)
    assert [(f.file, f.status) for f in got.files] == FILES  # c.json once
    c = got.files[2]
    assert (c.at, c.records, c.stored, c.quarantined) == (DAY3, 10, 5, 5)  # at arrival
    assert (c.quality_score, c.quality_score_now, c.redriven) == (0.5, 0.7, 3)
    t = got.totals
    assert (t.files, t.records, t.stored, t.quarantined, t.redriven) == (5, 30, 22, 8, 3)
    assert t.quality_score_now == round(24 / 30, 4)
    one = report(history, file=C)
    assert [(f.at, f.quality_score_now) for f in one.files] == [(DAY3, 0.7)]
    assert [(a.kind, a.baseline) for a in one.alerts] == [("file", 0.85)]  # a.json and b.json only
    assert report(history, since=date(2024, 3, 6)).empty  # c.json arrived on day 3


def test_a_window_from_the_first_day_a_date_holds_with_any_baseline(history: Aws) -> None:
    """--since 0001-01-01 (and a baseline of more days than a date can count back) has no days before it to
    read for baselines: the report is the fixture's whole history, not an OverflowError."""
    files = {"incoming/a.json", "incoming/b.json", "incoming/c.json", "incoming/bad.json", "incoming/copy.json"}
    for baseline in (Settings.baseline_window, 10**12):
        got = report(history, since=date.min, settings=Settings(baseline_window=baseline))
        assert {f.file for f in got.files} == files and got.totals.records == 30
        one = report(history, file=C, settings=Settings(baseline_window=baseline))
        assert [f.file for f in one.files] == ["incoming/c.json"]


D, D_BATCH = "d" * 64, "redrive/r3.jsonl"
DAY = "2024-03-0{}T09:00:00.000Z".format


@pytest.mark.parametrize(
    "arrival, first_replay, fixed",
    [
        # as the model tier found it: d1 a conflict at arrival and in a first replay, then redriven with the
        # stored content (a duplicate); a second replay carries that outcome and quarantines nothing
        ([order("d0"), order("d0", qty=2)], [order("d0"), order("d0", qty=2)], order("d0")),
        # nothing quarantined at arrival; d1 by a first replay (a stricter contract), then redriven; a second
        # replay (the contract as at arrival) quarantines nothing: only a replay ever quarantined a record
        ([order("d0"), order("d1")], [order("d0"), order("d1", email="x")], order("d1")),
    ],
    ids=["quarantined-at-arrival", "quarantined-by-a-replay-only"],
)
def test_a_redrive_before_the_latest_replay_is_counted(
    aws: Aws, arrival: list[Any], first_replay: list[Any], fixed: dict[str, Any]
) -> None:
    """A file's record redriven between two replays, the latest of which quarantines none of its records
    (it carries the redrive's outcome, a duplicate): `redriven` is 1, and the score now 2 of 2 (before: the
    report read the file's `file.redriven` accounts only when its latest run quarantined records: `redriven` 0)."""
    file = "incoming/d.json"
    run_file(aws, D, file, DAY(1), arrival)
    run_file(aws, D, file, DAY(2), first_replay, replay_of=DAY(1))
    run_file(aws, BATCH_ID, D_BATCH, DAY(3), [fixed], {0: Origin(f"{D}:1", file, 1, 2)})
    run_file(aws, D, file, DAY(4), [arrival[0], fixed], replay_of=DAY(1))  # d1 as the replay carries it
    got = report(aws)
    (d,) = got.files
    assert (d.records, d.redriven, d.quality_score_now) == (2, 1, 1.0)
    assert (got.totals.redriven, got.totals.quality_score_now) == (1, 1.0)
