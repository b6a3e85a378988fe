"""A file whose execution failed is completed by uploading it again: the new execution continues the run."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import local_run
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from services.dal.audit_log import AuditLog
from services.dal.quarantine_queue import QuarantineQueue

from .helpers import TERMINAL, Expected, Oracle, Run, order, read_jsonl, reason_pairs, stored_content, write_json

# The failed Finalize publishes no metric: Powertools warns about that, which is expected here.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]


class _QueueAtTheEnd(Progress):
    """Reads the raw quarantine queue (redeliveries not collapsed) while the engine is still up."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.raw_ids: list[str] = []

    def grab(self, engine: Engine) -> None:
        self.engine = engine

    def done(self) -> None:
        assert self.engine is not None and self.engine.stack is not None
        queue = QuarantineQueue(self.engine.stack.quarantine_queue_url, self.engine.client("sqs"))
        self.raw_ids = [m["body"]["id"] for m in queue.peek()]
        super().done()


def _records() -> list[Any]:
    records: list[Any] = []
    for i in range(36):
        if i % 4 == 3:
            records.append(order(f"r{i}", qty=0))  # quarantined
        elif i % 9 == 8:
            records.append(order(f"r{i - 8}"))  # the same order again: a duplicate
        elif i % 11 == 10:
            records.append(order(f"r{i - 10}", qty="2"))  # the same order id, other content: a conflict
        else:
            records.append(order(f"r{i}"))
    return records


def test_a_file_whose_execution_failed_completes_when_uploaded_again(tmp_path: Path, monkeypatch):
    records = _records()
    oracle = Oracle()
    expected = oracle.run(records)
    paths = []
    for folder, name in (("monday", "sales.json"), ("tuesday", "sales.json"), ("wednesday", "sales-copy.json")):
        (tmp_path / folder).mkdir()
        paths.append(write_json(tmp_path / folder, name, {"orders": records}))
    data = paths[0].read_bytes()
    assert paths[1].read_bytes() == paths[2].read_bytes() == data
    file_id = hashlib.sha256(data).hexdigest()

    # The first run loses the completion marker of one chunk that stored and quarantined records, as if its
    # Lambda died after writing the orders, quarantine messages and record events: Finalize then fails the execution.
    lost: list[dict[str, Any]] = []
    lock = threading.Lock()
    append = AuditLog.append

    def losing_one_marker(self: AuditLog, items: Iterable[dict[str, Any]]) -> None:
        kept = []
        for event in items:
            with lock:
                counts = event.get("counts", {})
                lose = (
                    not lost and event.get("event") == "chunk.processed" and counts["stored"] and counts["quarantined"]
                )
                if lose:
                    lost.append(event)
            if not lose:
                kept.append(event)
        append(self, kept)

    monkeypatch.setattr(AuditLog, "append", losing_one_marker)
    queue = _QueueAtTheEnd()

    summary = local_run(paths, out=tmp_path / "out", progress=queue, chunk_records=3, on_engine=queue.grab)

    run = Run(0, summary, tmp_path / "out")
    failed, retried, copy = run.files
    assert lost, "no chunk stored and quarantined records: the failure was never injected"
    assert failed["status"] == "failed", failed
    assert "IncompleteFileError" in failed["reason"] and "chunks reported" in failed["reason"], failed
    want = Counter(e.outcome for e in expected)
    assert retried["status"] == "completed", retried
    assert (retried["records"], retried["stored"], retried["duplicates"], retried["quarantined"]) == (
        len(records),
        want["stored"],
        want["duplicate"],
        want["quarantined"],
    )
    assert want["stored"] and want["duplicate"] and want["quarantined"]
    assert copy["status"] == "duplicate", copy  # the run completed: the same bytes again are a duplicate now

    # Every record ends exactly once, as a single first-time run would have ended it.
    events = [e for e in run.audit if e.get("file_id") == file_id]
    terminal = [e for e in events if e.get("event") in TERMINAL]
    repeated = {i: n for i, n in Counter(e["index"] for e in terminal).items() if n != 1}
    assert not repeated, f"records with more than one terminal event: {repeated}"
    outcomes = {e["index"]: e for e in terminal}
    assert sorted(outcomes) == list(range(len(records)))
    got = [Expected(e["outcome"], e["order_id"], reason_pairs(e["reasons"])) for _, e in sorted(outcomes.items())]
    assert got == expected

    # One run of the file: the failed execution's start time keys every write, its chunks were not redone.
    [accepted] = [e for e in events if e["event"] == "file.accepted"]
    [completed] = [e for e in events if e["event"] == "file.completed"]
    [retry] = [e for e in events if e["event"] == "file.retried"]
    run_at = accepted["at"]
    assert {e["at"] for e in terminal} == {completed["at"], retry["run_at"]} == {run_at}
    assert (retry["failed_execution"], retry["failed_status"]) == (failed["execution"], "FAILED")
    assert retry["execution"] == completed["execution"] == retried["execution"]
    markers = [e for e in events if e["event"] == "chunk.processed"]
    assert len(markers) == accepted["chunks"]
    redone = [(m["sk"], m["execution"]) for m in markers if m["execution"] != failed["execution"]]
    assert redone == [(lost[0]["sk"], retried["execution"])], "the retry redid only the chunk left unfinished"

    # No order written twice, none overwritten: each is the first complete record of its id, from the run.
    orders = run.orders_by_id()
    assert {oid: stored_content(o) for oid, o in orders.items()} == oracle.expected_orders()
    first_index = {e.order_id: i for i, e in reversed(list(enumerate(expected))) if e.outcome == "stored"}
    for oid, stored in orders.items():
        assert (stored["_source"], stored["_at"]) == (f"{file_id}#{first_index[oid]}", run_at), oid

    # The quarantine queue holds each quarantined record once; the unfinished chunk's messages were sent twice.
    queued = [m for m in read_jsonl(run.out / "quarantine.jsonl") if m.get("file_id") == file_id]
    quarantined = sorted(i for i, e in enumerate(expected) if e.outcome == "quarantined")
    assert sorted(m["index"] for m in queued) == quarantined
    assert len({m["id"] for m in queued}) == len(queued)
    resent = {i for i, n in Counter(queue.raw_ids).items() if n > 1}
    assert resent and resent == {f"{file_id}:{entry[0]}" for entry in lost[0]["outcomes"] if entry[1] == "quarantined"}
