"""finalize(): a file's chunk markers fold into its summary; a missing chunk is an error, never a silent gap."""

from __future__ import annotations

import pytest
import yaml

from salesdq import resources
from services.domain.active_contract import ContractRef, version_key
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob, FileRun
from services.domain.run import Run
from services.ingest.finalize import IncompleteFileError, finalize
from services.validator.validate_chunk import validate_chunk

from .conftest import Aws

AT = "2024-03-01T10:00:00.000Z"
FILE_ID = "a" * 64


def order(order_id: str, email: str = "ada@example.com", qty: int = 1) -> dict:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": qty},
        "contact-info": {"name": "Ada", "email": email},
    }


def chunk(aws: Aws, partition: int, number: int, records: list, execution: str = "exec-1", at: str = AT) -> None:
    key = f"staging/{execution}/p{partition:05d}/c{number:07d}.json"
    aws.stores.inbox.put_json(key, {"records": records})
    job = ChunkJob(
        run=Run(file_id=FILE_ID, file="incoming/f.json", id=at, execution=execution),
        partition=partition,
        chunk=number,
        key=key,
    )
    validate_chunk(job, aws.stores)


# the run's contract, as Prepare names it: Finalize names it too (it is not the shipped one)
JUDGED_BY = ContractRef(version="9.9.9+0123456789ab", digest="0123456789ab" + "0" * 52, key=version_key("0" * 64))


def run(records: int, chunks: int, execution: str = "exec-1", contract: ContractRef | None = None) -> FileRun:
    judged = Run(file_id=FILE_ID, file="incoming/f.json", id=AT, execution=execution, contract=contract)
    return FileRun(run=judged, records=records, chunks=chunks)


def test_summary_sums_every_chunk(aws):
    chunk(aws, 0, 0, [[0, order("A")], [2, order("A")], [4, order("B", email="bad")]])
    chunk(aws, 1, 0, [[1, order("C")], [3, None]])
    chunk(aws, 1, 1, [[5, order("C", qty=2)], [6, order("D", email="")]])

    summary = finalize(run(records=7, chunks=3, contract=JUDGED_BY), aws.stores.audit)

    assert summary == {
        "status": "completed",
        "file": "incoming/f.json",
        "file_id": FILE_ID,
        "records": 7,
        "stored": 2,
        "duplicates": 1,
        "quarantined": 4,
        "score": round(3 / 7, 4),
        "failures_by_rule": {"email": 2, "not_object": 1, "conflict": 1},
        "contract": JUDGED_BY.version,
    }
    (event,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]
    assert event["pk"] == f"FILE#{FILE_ID}"
    assert event["day"] == "2024-03-01"
    assert event["stored"] == 2
    assert event["quarantined"] == 4
    assert event["failures_by_rule"] == {"email": 2, "not_object": 1, "conflict": 1}
    assert "status" not in event


def test_the_run_names_the_contract_its_records_were_judged_by(aws):
    chunk(aws, 0, 0, [[0, order("A")], [1, order("B", email="bad")]])
    finalize(run(records=2, chunks=1), aws.stores.audit)
    events = aws.audit()
    (completed,) = [e for e in events if e["event"] == EventKind.FILE_COMPLETED]
    judged = {e["contract"] for e in events if e["event"].startswith("record.")}
    version = yaml.safe_load((resources.ROOT / "contracts" / "sales.odcs.yaml").read_text(encoding="utf-8"))["version"]
    assert judged == {completed["contract_version"]}
    assert completed["contract_version"].startswith(f"{version}+")  # its version, then its digest


def test_missing_chunk_marker_raises(aws):
    chunk(aws, 0, 0, [[0, order("A")]])
    with pytest.raises(IncompleteFileError, match="1 of 2 chunks reported, 1 of 2 records accounted"):
        finalize(run(records=2, chunks=2), aws.stores.audit)
    assert not [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]


def test_records_not_adding_up_raises(aws):
    chunk(aws, 0, 0, [[0, order("A")]])
    with pytest.raises(IncompleteFileError, match="1 of 3 records"):
        finalize(run(records=3, chunks=1), aws.stores.audit)


def test_chunks_of_another_run_do_not_count(aws):
    chunk(aws, 0, 0, [[0, order("A")]], at="2024-02-01T10:00:00.000Z")
    with pytest.raises(IncompleteFileError, match="0 of 1 chunks"):
        finalize(run(records=1, chunks=1), aws.stores.audit)


def test_chunks_a_failed_execution_of_the_same_run_finished_count(aws):
    """A re-upload that took over a failed run keeps the run's `at`: what the failed execution finished counts."""
    chunk(aws, 0, 0, [[0, order("A")], [1, None]], execution="exec-failed")
    chunk(aws, 1, 0, [[2, order("B")]], execution="exec-retry")

    summary = finalize(run(records=3, chunks=2, execution="exec-retry"), aws.stores.audit)

    assert (summary["stored"], summary["quarantined"]) == (2, 1)
    (event,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]
    assert (event["at"], event["execution"]) == (AT, "exec-retry")


def test_all_quarantined_scores_zero(aws):
    chunk(aws, 0, 0, [[0, None], [1, 5]])
    summary = finalize(run(records=2, chunks=1), aws.stores.audit)
    assert (summary["score"], summary["quarantined"]) == (0.0, 2)
