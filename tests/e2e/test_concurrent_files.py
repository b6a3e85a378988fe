"""Two files uploaded at once race for the same order ids: each id is stored once, from one file, never
overwritten, and the other file's record is quarantined as a conflict naming the file that won.

`salesdq local run` uploads its files one after another; on AWS two uploads can start two executions at
once, and only the slot leases keep their chunks from both storing (or overwriting) an order. The test makes
the race certain rather than likely: each file's chunk waits for the other's before taking its leases, and
the read of which orders exist answers with a network's latency (on the engine it takes microseconds), so
the window between that read and the batch write is open while the other chunk arrives. Without the leases
both files store every shared id.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import export, stack_of
from salesdq.operators.follow import result_of, upload, wait_for
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from services.dal.leases_table import Leases
from services.dal.orders_table import OrdersTable

from .helpers import Run, assert_accounted, judge, order, reason_pairs, stored_content, write_json

# The chunk that finds its slots leased by the other file fails with LeaseBusyError and is retried; its
# failed invocation publishes no metric, and Powertools warns about that.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

SHARED = 40  # order ids in both files, with different content
OWN = 10  # order ids in one file only
READ_LATENCY_S = 0.2  # the answer's way back: what it says may be stale when it arrives


def _file(directory: Path, name: str, item: str) -> tuple[Path, dict[str, Any]]:
    shared = [order(f"s{i}", item=item) for i in range(SHARED)]
    own = [order(f"{name}-{i}", item=item) for i in range(OWN)]
    records = [r for pair in zip(shared[:OWN], own, strict=True) for r in pair] + shared[OWN:]
    return write_json(directory, f"{name}.json", {"orders": records}), {r["order-info"]["OrderId"]: r for r in records}


def _race_on_the_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first chunk of each file takes its leases only once the other file's chunk is there too."""
    both_there = threading.Barrier(2, timeout=60)
    arrived: set[str] = set()
    acquire, existing = Leases.acquire, OrdersTable.existing

    def acquire_together(self: Leases, slots: Iterable[int], holder: str, ttl_s: int) -> list[int]:
        file_id = holder.split("#", 1)[0]
        if file_id not in arrived:  # a retry goes straight on
            arrived.add(file_id)
            both_there.wait()
        return acquire(self, slots, holder, ttl_s)

    def existing_over_a_network(self: OrdersTable, *args: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
        found = existing(self, *args, **kwargs)
        time.sleep(READ_LATENCY_S)
        return found

    monkeypatch.setattr(Leases, "acquire", acquire_together)
    monkeypatch.setattr(OrdersTable, "existing", existing_over_a_network)


def test_two_files_racing_for_the_same_orders_store_each_once_and_quarantine_the_loser(tmp_path: Path, monkeypatch):
    _race_on_the_leases(monkeypatch)
    (a, a_records), (b, b_records) = _file(tmp_path, "east", "E-item"), _file(tmp_path, "west", "W-item")

    with Engine(log_dir=tmp_path / "logs") as engine:
        assert engine.stack is not None
        stack = stack_of(engine)
        keys = [upload(stack, path).key for path in (a, b)]
        found = sorted(stack.executions().arns(stack.state_machine_arn))
        assert len(found) == 2, found
        descriptions = [wait_for(stack.executions(), arn, Progress(), timeout_s=120) for arn in found]
        by_key = {json.loads(d["input"])["detail"]["object"]["key"]: d for d in descriptions}
        results = [result_of(str(path), by_key[key]) for path, key in zip((a, b), keys, strict=True)]
        run = Run(0, {"files": [vars(r) for r in results]}, tmp_path / "out")
        export(engine, run.out, run.summary)

    # The race happened: both executions ran at once, and one file's chunk found its slots leased.
    start = [datetime.fromisoformat(str(d["startDate"])) for d in descriptions]
    stop = [datetime.fromisoformat(str(d["stopDate"])) for d in descriptions]
    assert start[0] < stop[1] and start[1] < stop[0], (start, stop)
    assert "LeaseBusyError" in (tmp_path / "logs" / "salesdq-validate-chunk.log").read_text(encoding="utf-8")

    outcomes = {p.name: assert_accounted(run, p.name) for p in (a, b)}
    by_id = {name: {e["order_id"]: e for e in events.values()} for name, events in outcomes.items()}
    records = {a.name: a_records, b.name: b_records}
    orders = run.orders_by_id()
    assert len(orders) == SHARED + 2 * OWN
    for order_id, stored in orders.items():
        winner = Path(stored["_file"]).name
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
    # The chunk that held the leases stored every shared id; the one that waited found them all stored.
    counts = sorted((run.file(name)["stored"], run.file(name)["quarantined"]) for name in records)
    assert counts == [(OWN, SHARED), (SHARED + OWN, 0)]
