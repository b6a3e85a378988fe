"""Two files uploaded at once race for the same order ids: each id is stored once, from one file, never
overwritten, and the other file's record is quarantined as a conflict naming the file that won.

`salesdq local run` uploads its files one after another; on AWS two uploads can start two executions at
once, and only the slot leases keep their chunks from both storing (or overwriting) an order. The window
between a chunk's read of which orders exist and its batch write is short, so without the leases this test
sees a double store only some of the time; it also asserts that chunks did meet slots the other file held.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from salesdq.engine import Engine
from salesdq.follow import Progress, executions, result_of, upload, wait_for
from salesdq.local_run import export

from .helpers import Run, assert_accounted, judge, order, reason_pairs, stored_content, write_json

# A chunk that finds a slot leased by the other file fails with LeaseBusyError and is retried; its failed
# invocation publishes no metric, and Powertools warns about that.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

SHARED = 240  # order ids in both files, with different content
OWN = 60  # order ids in one file only


def _file(directory: Path, name: str, item: str) -> tuple[Path, dict[str, Any]]:
    shared = [order(f"s{i}", item=item) for i in range(SHARED)]
    own = [order(f"{name}-{i}", item=item) for i in range(OWN)]
    records = [r for pair in zip(shared[:OWN], own, strict=True) for r in pair] + shared[OWN:]
    return write_json(directory, f"{name}.json", {"orders": records}), {r["order-info"]["OrderId"]: r for r in records}


def test_two_files_racing_for_the_same_orders_store_each_once_and_quarantine_the_loser(tmp_path: Path):
    (a, a_records), (b, b_records) = _file(tmp_path, "east", "E-item"), _file(tmp_path, "west", "W-item")

    with Engine(chunk_records=10, log_dir=tmp_path / "logs") as engine:
        assert engine.names is not None
        s3, sfn = engine.client("s3"), engine.client("stepfunctions")
        machine = engine.names.state_machine_arn
        upload(s3, engine.names.bucket, a)
        upload(s3, engine.names.bucket, b)
        found = sorted(executions(sfn, machine))
        assert len(found) == 2, found
        descriptions = [wait_for(sfn, arn, Progress(False)) for arn in found]
        by_key = {json.loads(d["input"])["detail"]["object"]["key"]: d for d in descriptions}
        results = [result_of(str(path), by_key[f"incoming/{path.name}"]) for path in (a, b)]
        run = Run(0, {"files": [vars(r) for r in results]}, tmp_path / "out")
        export(engine, run.out, run.summary)

    # The race happened: both executions were running at the same time, and chunks found slots leased.
    start = [datetime.fromisoformat(str(d["startDate"])) for d in descriptions]
    stop = [datetime.fromisoformat(str(d["stopDate"])) for d in descriptions]
    assert start[0] < stop[1] and start[1] < stop[0], (start, stop)
    assert "LeaseBusyError" in (tmp_path / "logs" / "salesdq-validate-chunk.log").read_text(encoding="utf-8")

    outcomes = {p.name: assert_accounted(run, p.name) for p in (a, b)}
    by_id = {name: {e["order_id"]: e for e in events.values()} for name, events in outcomes.items()}
    records = {a.name: a_records, b.name: b_records}
    orders = run.orders_by_id()
    assert len(orders) == SHARED + 2 * OWN
    wins = {a.name: 0, b.name: 0}
    for order_id, stored in orders.items():
        winner = Path(stored["_file"]).name
        wins[winner] += 1
        assert stored_content(stored) == {**judge(records[winner][order_id]).normalized, "OrderId": order_id}
        assert by_id[winner][order_id]["outcome"] == "stored"
        if order_id in records[a.name] and order_id in records[b.name]:
            [loser] = set(records) - {winner}
            event = by_id[loser][order_id]
            assert (event["outcome"], reason_pairs(event["reasons"])) == (
                "quarantined",
                {("order-info.OrderId", "conflict")},
            ), event
            assert winner in event["reasons"][0]["message"]
    assert {name: run.file(name)["stored"] for name in records} == wins
    assert sum(run.file(name)["quarantined"] for name in records) == SHARED
