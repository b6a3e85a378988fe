"""The validator's pure decision (store_orders.plan_chunk, verdicts), shared by store_chunk and a replay's
dry-run: writers and followers from the records alone, outcomes given what the orders table holds."""

from __future__ import annotations

from typing import Any

from services.contract import default
from services.domain import contract
from services.domain.outcomes import Outcome
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.store_orders import plan_chunk, verdicts

JOB = ChunkJob(
    run=Run(file_id="f" * 64, file="incoming/day.json", id="2026-01-01T00:00:00Z", execution="exec"),
    partition=0,
    chunk=0,
    key="staging/c.json",
)


def order(order_id: str, qty: Any = 1, email: str = "ada@example.com") -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": qty},
        "contact-info": {"name": "Ada", "email": email},
    }


def stored_as(
    record: dict[str, Any], index: int, at: str = JOB.run.id, file_id: str = JOB.run.file_id
) -> dict[str, Any]:
    verdict = contract.check(record)
    assert verdict.record is not None
    return {"_source": f"{file_id}#{index}", "_hash": contract.content_hash(verdict.record), "_at": at, "_file": "x"}


RECORDS = [order("A"), order("B", qty=0), order("A"), order("A", qty=2), order("C")]


def test_the_plan_has_the_first_complete_record_of_each_order_as_its_writer_and_decides_incomplete_ones() -> None:
    plan = plan_chunk([[i, r] for i, r in enumerate(RECORDS)], JOB, default())
    assert {oid: c.index for oid, c in plan.writers.items()} == {"A": 0, "C": 4}
    assert [c.index for c in plan.followers] == [2, 3]
    assert list(plan.outcomes) == [1] and plan.outcomes[1].outcome == Outcome.QUARANTINED
    assert [item["OrderId"] for item in plan.new_orders({"A": {}})] == [{"S": "C"}]


def test_with_nothing_stored_writers_are_stored_and_followers_meet_their_writer() -> None:
    plan = plan_chunk([[i, r] for i, r in enumerate(RECORDS)], JOB, default())
    outcomes = verdicts(plan, {})
    assert [o.outcome for o in outcomes] == ["stored", "quarantined", "duplicate", "quarantined", "stored"]
    assert outcomes[3].reasons[0].rule == "conflict"


def test_an_order_stored_before_decides_against_it() -> None:
    plan = plan_chunk([[0, order("A")], [1, order("C")], [2, order("D")]], JOB, default())
    stored = {
        "A": stored_as(order("A"), 0),  # this run's own write (a retried chunk): stored
        "C": stored_as(order("C"), 9, file_id="e" * 64),  # the same content from elsewhere: duplicate
        "D": stored_as(order("D", qty=5), 9, file_id="e" * 64),  # other content: conflict
    }
    assert [o.outcome for o in verdicts(plan, stored)] == ["stored", "duplicate", "quarantined"]


def test_the_records_own_order_from_an_earlier_run_is_a_duplicate_unless_any_run_counts() -> None:
    plan = plan_chunk([[0, order("A")]], JOB, default())
    earlier = {"A": stored_as(order("A"), 0, at="2025-01-01T00:00:00Z")}
    assert verdicts(plan, earlier)[0].outcome == Outcome.DUPLICATE  # a replay run finds it
    assert verdicts(plan, earlier, any_run=True)[0].outcome == Outcome.STORED  # the what-if: it is the stored one
