"""An order stored: the complete records of a chunk written to the orders table under slot leases.

The first complete record of an order id in file order is its writer. Under the leases of the writers' slots,
one consistent read says which orders are stored already and one batch write stores the rest, so no other
file can store one of them in between; the stored order is never overwritten. Each stored item carries
`_source` (where it came from) and `_hash` (its content), which tell stored, duplicate and conflict apart.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.dal.leases_table import Leases
from services.dal.orders_table import OrdersTable, OrderTooLargeError
from services.domain import chunk_entry, contract, json_codec
from services.domain.chunk_entry import NOTHING, Findings
from services.domain.contract import Reason, Rule
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.domain.slots import slot_of

if TYPE_CHECKING:
    from services.contract import CompiledContract

MAX_ORDER_BYTES = 350_000  # DynamoDB's item limit is 400 KB; leave room for attribute overhead
# What telling stored / duplicate / conflict needs of a stored order: no record's own field holds these names
# (the contract's reserved_field rule), so order_item never overwrites one.
ORIGIN = contract.ORIGIN_FIELDS


def order_item(record: dict[str, Any], order_id: str, job: ChunkJob, index: int) -> dict[str, Any]:
    """The orders-table item of a complete record: its fields plus where it came from and its content hash."""
    return {
        **record,
        contract.ORDER_ID: order_id,
        "_source": job.source(index),
        "_hash": contract.content_hash(record),
        "_file": job.run.file,
        "_at": job.run.id,
    }


@dataclass(frozen=True)
class _Candidate:
    """A complete, storable record: its orders-table item, plain and as DynamoDB takes it."""

    index: int
    order_id: str
    item: dict[str, Any]
    typed: dict[str, Any]
    raw: Any
    key_field: str  # where a conflict's reason points: the contract's key, as `section.name`
    warnings: Sequence[Reason]


def _candidate(
    index: int, raw: Any, job: ChunkJob, judge: CompiledContract, findings: Findings = NOTHING
) -> _Candidate | RecordOutcome:
    """The record as an order to write, or its outcome when it is incomplete or DynamoDB could not hold it."""
    verdict = judge.check(raw, duplicate_keys=findings.duplicate_keys, unreadable=findings.unreadable)
    if not verdict.complete or verdict.record is None:
        return RecordOutcome(index, Outcome.QUARANTINED, verdict.order_id, verdict.reasons, raw)
    order_id = verdict.order_id
    assert order_id is not None  # a complete record has one
    item = order_item(verdict.record, order_id, job, index)
    typed = _typed(item)
    if isinstance(typed, Reason):
        return RecordOutcome(index, Outcome.QUARANTINED, order_id, [typed], raw)
    return _Candidate(index, order_id, item, typed, raw, judge.key_field, verdict.warnings)


def store_one(
    index: int, raw: Any, job: ChunkJob, orders: OrdersTable, judge: CompiledContract, findings: Findings = NOTHING
) -> RecordOutcome:
    """One record, one conditional write: the path of a chunk whose batch DynamoDB refused for an item's size."""
    candidate = _candidate(index, raw, job, judge, findings)
    if isinstance(candidate, RecordOutcome):
        return candidate
    try:
        result = orders.put_new(candidate.item)
    except OrderTooLargeError:
        reason = _oversize(_json_size(candidate.item))
        return RecordOutcome(index, Outcome.QUARANTINED, candidate.order_id, [reason], raw)
    return _against(candidate, None if result.created else result.existing)


@dataclass
class ChunkPlan:
    """What a chunk would write, decided from its records alone (no store read): each incomplete record's
    outcome, the first complete record of each order id in file order (its writer), and the others (followers)."""

    entries: list[tuple[int, Any, Findings]]
    outcomes: dict[int, RecordOutcome]
    writers: dict[str, _Candidate]
    followers: list[_Candidate]

    def slots(self) -> list[int]:
        return [slot_of(order_id) for order_id in self.writers]

    def new_orders(self, stored: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The DynamoDB items of the writers whose order id is not stored yet: what the chunk writes."""
        return [c.typed for c in self.writers.values() if c.order_id not in stored]


def plan_chunk(records: Sequence[Sequence[Any]], job: ChunkJob, judge: CompiledContract) -> ChunkPlan:
    """`records`: a chunk's entries, [index, record] or [index, record, findings] (services/domain/chunk_entry.py),
    judged by `judge`, the run's contract."""
    plan = ChunkPlan([chunk_entry.read(entry) for entry in records], {}, {}, [])
    for index, raw, findings in plan.entries:
        candidate = _candidate(index, raw, job, judge, findings)
        if isinstance(candidate, RecordOutcome):
            plan.outcomes[index] = candidate
        elif candidate.order_id in plan.writers:
            plan.followers.append(candidate)
        else:
            plan.writers[candidate.order_id] = candidate
    return plan


def verdicts(plan: ChunkPlan, stored: Mapping[str, dict[str, Any]], *, any_run: bool = False) -> list[RecordOutcome]:
    """Every record's outcome, in file order, given the orders stored before the chunk (ORIGIN attributes, by
    order id): a writer is stored, a duplicate or a conflict against what is stored; a follower against what is
    stored or else its writer. `any_run`: an order stored with the record's own `_source` is the record's,
    whatever run wrote it (what a replay's what-if asks); else only this run's (a retried chunk or run)."""
    outcomes = dict(plan.outcomes)
    for candidate in plan.writers.values():
        outcomes[candidate.index] = _against(candidate, stored.get(candidate.order_id), any_run)
    for candidate in plan.followers:  # its writer is an earlier record of the file: a repeat, whatever is stored
        first = stored.get(candidate.order_id) or plan.writers[candidate.order_id].item
        outcomes[candidate.index] = _against(candidate, first, any_run, repeat=True)
    return [outcomes[index] for index, _, _ in plan.entries]


def store_chunk(
    records: Sequence[Sequence[Any]], job: ChunkJob, orders: OrdersTable, leases: Leases, judge: CompiledContract
) -> list[RecordOutcome]:
    """Every record's outcome, in file order, with the new orders written (see the module's docstring)."""
    plan = plan_chunk(records, job, judge)
    # A lease lives this function's timeout plus a margin (leases.lease_s): no holder can still write when it ends.
    with leases.held(plan.slots(), job.holder, leases.lease_s):
        stored = orders.existing(plan.writers, ORIGIN)
        try:
            orders.put_all(plan.new_orders(stored))
        except OrderTooLargeError:  # DynamoDB measures an item over 400 KB: the whole batch is refused
            return [store_one(index, raw, job, orders, judge, findings) for index, raw, findings in plan.entries]
    return verdicts(plan, stored)


def _json_size(item: dict[str, Any]) -> int:
    """What the item size rule measures: the UTF-8 bytes of the item as JSON text, ", " and ": " between."""
    return len(json_codec.dumps(item, spaced=True).encode("utf-8"))


def _typed(item: dict[str, Any]) -> dict[str, Any] | Reason:
    """The order as DynamoDB takes it, or why DynamoDB could not hold it: too large, or a number out of range."""
    if (size := _json_size(item)) > MAX_ORDER_BYTES:
        return _oversize(size)
    try:
        return OrdersTable.serialize(item)
    except decimal.DecimalException:  # the contract's number_range rule finds these first; kept as a net
        return Reason(
            "$",
            Rule.NUMBER_RANGE,
            "the record has a number DynamoDB cannot store (over 38 digits, or beyond 1E-130 to 9.99E+125): "
            "write it as a string",
        )


def _against(
    candidate: _Candidate, stored: dict[str, Any] | None, any_run: bool = False, repeat: bool = False
) -> RecordOutcome:
    """The outcome of a record given the order stored under its id before it (None: it is the one stored).
    `repeat`: an earlier record of the file has its id; so has one whose order another record of the file stored."""
    index, order_id, item, warnings = candidate.index, candidate.order_id, candidate.item, candidate.warnings
    if stored is None or _ours(stored, item, any_run):
        return RecordOutcome(index, Outcome.STORED, order_id, item=item, warnings=warnings)
    repeat = repeat or _same_file(stored, item)
    if stored.get("_hash") == item["_hash"]:
        return RecordOutcome(
            index, Outcome.DUPLICATE, order_id, duplicate_of=stored.get("_source"), warnings=warnings, repeat=repeat
        )
    conflict = Reason(
        candidate.key_field,
        Rule.CONFLICT,
        f"order {order_id} is already stored with different content (from {stored.get('_file', 'an earlier file')})",
    )
    return RecordOutcome(
        index, Outcome.QUARANTINED, order_id, [conflict], candidate.raw, warnings=warnings, repeat=repeat
    )


def _same_file(stored: dict[str, Any], item: dict[str, Any]) -> bool:
    """The stored order came from another record of the item's file (`_source` is `<file id>#<index>`); the
    record's own order, stored by an earlier run of the file (a replay's), is no repeat."""
    source, own = str(stored.get("_source", "")), str(item["_source"])
    return source != own and source.partition("#")[0] == own.partition("#")[0]


def _ours(stored: dict[str, Any], item: dict[str, Any], any_run: bool = False) -> bool:
    """The stored order is this record's, written by this run (a retried attempt, or a retried run, which keeps
    the run's `at`). The same record in another run (a replay, an identical redrive batch) is a duplicate,
    unless `any_run`: then the record's own order is its, whichever run wrote it."""
    return stored.get("_source") == item["_source"] and (any_run or stored.get("_at") == item["_at"])


def _oversize(size: int) -> Reason:
    if size > MAX_ORDER_BYTES:
        message = (
            f"the record is {size:,} bytes as a stored order; stored orders are limited to {MAX_ORDER_BYTES:,} bytes "
            "(DynamoDB's item limit is 400 KB, with room left for its own overhead)"
        )
    else:  # DynamoDB measures an item its own way, and refused this one
        message = f"the record is {size:,} bytes as a stored order, and DynamoDB refused it as over its 400 KB limit"
    return Reason("$", Rule.OVERSIZE, message)
