"""A contract's warnings and file-level rules through ValidateChunk and Finalize (docs/contracts.md#severity,
docs/contracts.md#file-level-rules): a record failing only a warning rule is stored, its event names the warning,
the run counts warnings by rule apart from failures; expectations come from the records written here."""

from __future__ import annotations

from pathlib import Path

from salesdq.operators.run_summaries import fold_runs
from salesdq.reports.compute import compute, runs_of
from salesdq.reports.model import Settings, Window
from services.contract import CompiledContract, load
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob
from services.ingest.finalize import committed, finalize
from services.validator.validate_chunk import validate_chunk

from .test_finalize import chunk, order, run

CONTRACTS = Path(__file__).parents[1] / "data" / "contracts"


class _Only:
    """The contracts of a step that judges every run by one contract (as a run names its published one)."""

    def __init__(self, contract: CompiledContract) -> None:
        self.contract = contract

    def of(self, ref: object) -> CompiledContract:
        return self.contract


def _chunk_under(aws, contract: CompiledContract, records: list) -> None:
    key = "staging/exec-1/p00000/c0000000.json"
    aws.stores.inbox.put_json(key, {"records": records})
    job = ChunkJob(run=run(records=len(records), chunks=1).run, partition=0, chunk=0, key=key)
    validate_chunk(job, aws.stores, _Only(contract))  # type: ignore[arg-type]


def test_a_record_failing_a_warning_rule_is_stored_and_its_event_and_run_count_the_warning(aws):
    records = [order("A"), order("B", email="a@localhost"), order("C", email="x@", qty=0), order("D", email="y@")]
    warned = load(CONTRACTS / "email-warning.odcs.yaml")
    _chunk_under(aws, warned, [[i, r] for i, r in enumerate(records)])
    summary = finalize(run(records=4, chunks=1), aws.stores.audit, warned)

    # A fine; B and D fail only the email rule (a warning): stored; C fails qty too (an error): quarantined
    assert (summary["stored"], summary["quarantined"]) == (3, 1)
    assert summary["failures_by_rule"] == {"positive_whole": 1}
    assert set(aws.orders()) == {"A", "B", "D"}
    events = {e["order_id"]: e for e in aws.audit() if e["event"].startswith("record.")}
    assert events["B"]["event"] == EventKind.RECORD_STORED and events["B"]["reasons"] == []
    assert events["B"]["warnings"] == [
        {"field": "contact-info.email", "rule": "email", "message": "email is not a valid email address"}
    ]
    assert "warnings" not in events["A"]
    assert [r["rule"] for r in events["C"]["reasons"]] == ["positive_whole"]
    (completed,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]
    assert completed["warnings_by_rule"] == {"email": 2}  # B and D: warnings count of records the contract passed
    report = compute(Window(), Settings(), runs_of(e for e in aws.audit() if e["sk"].startswith("EVENT#")))
    assert [(w.rule, w.count, w.share) for w in report.warnings] == [("email", 2, 0.5)]
    assert [(r.rule, r.count) for r in report.failures.by_rule] == [("positive_whole", 1)]
    assert report.files[0].warnings == 2
    assert completed["failures_by_rule"] == {"positive_whole": 1}


# rows_in_range: 1 to 1,000 records (error); repeated_ids: at most 1 (warning); max_invalid: < 10% (error). The
# records are judged by the default contract, which has the same record rules; Finalize is handed this one.
FILE_RULES = load(CONTRACTS / "file-rules.odcs.yaml")


def _completed(aws) -> dict:
    (event,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]
    return event


def test_file_rules_are_judged_once_on_the_runs_counts_and_recorded_on_its_completion(aws):
    # 12 records over two chunks of one partition; A repeats twice (in its chunk, and in the next chunk, once
    # stored), B once with other content (a conflict within the file): 3 repeats; one record is invalid
    first = [[0, order("A")], [1, order("A")], [2, order("B")], [3, order("C", email="bad")]]
    second = [[4, order("A")], [5, order("B", qty=2)]] + [[i, order(f"K{i}")] for i in range(6, 12)]
    chunk(aws, 0, 0, first)
    chunk(aws, 0, 1, second)
    summary = finalize(run(records=12, chunks=2), aws.stores.audit, FILE_RULES)

    repeats, invalid = 3, 1  # the conflict of B is a repeat, not an invalid record
    assert summary["quarantined"] == 2 and summary["failures_by_rule"] == {"email": 1, "conflict": 1}
    assert summary["verdict"] == "alert"  # 3 repeats > 1 (a warning); 1 of 12 invalid (8.33%) < 10%
    assert summary["reason"] == (
        f"alert by rule repeated_ids: {repeats} repeated order ids; repeated order ids must be at most 1"
    )
    event = _completed(aws)
    assert (event["verdict"], event["reason"]) == (summary["verdict"], summary["reason"])
    rules = {r["rule"]: r for r in event["file_rules"]}
    assert rules["rows_in_range"] | {"value": float(rules["rows_in_range"]["value"])} == {
        "rule": "rows_in_range", "metric": "rowCount", "severity": "error", "value": 12.0, "unit": "rows",
        "expected": "mustBeBetween 1 and 1000", "passed": True,
    }  # fmt: skip
    assert float(rules["repeated_ids"]["value"]) == repeats and rules["repeated_ids"]["passed"] is False
    assert float(rules["max_invalid"]["value"]) == round(100 * invalid / 12, 4) and rules["max_invalid"]["passed"]
    assert len(aws.orders()) == 8  # the records keep their outcomes: A, B and the six K, and no C


def test_a_failed_error_rule_rejects_the_file_by_rule_and_share_and_the_runs_say_so(aws):
    records = [order("A"), order("B", email="bad"), order("C", email=""), order("D")]
    chunk(aws, 0, 0, [[i, r] for i, r in enumerate(records)])
    summary = finalize(run(records=4, chunks=1), aws.stores.audit, FILE_RULES)

    assert summary["status"] == "completed" and summary["verdict"] == "rejected"
    assert summary["reason"] == (
        "rejected by rule max_invalid: 50% invalid records; invalid records must be less than 10% of the file's records"
    )
    assert set(aws.orders()) == {"A", "D"}  # stored before the verdict, and kept: the verdict is the file's
    # a Finalize whose reply was lost finds the same summary in the log (RecordRunFailure's commit check)
    assert committed(run(records=4, chunks=1).run, aws.stores.audit) == summary
    file_events = [e for e in aws.audit() if e["sk"].startswith("EVENT#")]
    (found,) = fold_runs(file_events)
    assert (found.status, found.verdict, found.reason) == ("completed", "rejected", summary["reason"])
    report = compute(Window(), Settings(), runs_of(file_events))
    (entry,) = report.files
    assert (entry.status, entry.verdict, entry.reason, entry.stored) == ("completed", "rejected", summary["reason"], 2)
    assert [(r.rule, r.passed) for r in entry.file_rules] == [
        ("rows_in_range", True), ("repeated_ids", True), ("max_invalid", False)
    ]  # fmt: skip
    assert [(a.kind, a.reason) for a in report.alerts if a.kind == "rule"] == [("rule", summary["reason"])]


def test_a_second_run_of_the_file_counts_no_record_repeating_its_own_stored_order(aws):
    """A replay judges the same records again: each finds the order it stored itself, which is no repeat."""
    records = [[0, order("A")], [1, order("B")], [2, order("A")]]
    chunk(aws, 0, 0, records)
    chunk(aws, 0, 0, records, execution="exec-2", at="2024-03-02T10:00:00.000Z")
    later = [
        e for e in aws.audit() if e["event"] == EventKind.CHUNK_PROCESSED and e["at"] == "2024-03-02T10:00:00.000Z"
    ]
    assert [e["counts"]["duplicate"] for e in later] == [3]  # every record found its order stored
    assert [e.get("repeats", 0) for e in later] == [1]  # only the second A repeats an id of the file
