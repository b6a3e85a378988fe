"""Route each record of a chunk to exactly one outcome: stored, duplicate or quarantined."""

from __future__ import annotations

import decimal
import json
from dataclasses import dataclass, field
from typing import Any

from services.audit import events
from services.shared import batches
from services.shared.dal import Stores
from services.shared.dal.leases import Leases
from services.shared.dal.orders import OrdersTable, OrderTooLargeError
from services.shared.dal.staging import Staging
from services.validator import contract
from services.validator.contract import Reason
from services.validator.slots import slot_of

MAX_ORDER_BYTES = 350_000  # DynamoDB's item limit is 400 KB; leave room for attribute overhead
MAX_INLINE_RECORD_BYTES = 200_000  # larger records travel to the DLQ by S3 reference
# A write lease outlives the chunk Lambda that takes it (timeout 300 s, salesdq/resources.py), so a holder that
# died cannot still be writing once its lease expires and another file's chunk takes the slot.
LEASE_TTL_S = 900
ORIGIN = ("_source", "_hash", "_file")  # what telling stored / duplicate / conflict needs of a stored order
QUARANTINED_RECORDS = "quarantine/records"


@dataclass(frozen=True)
class ChunkJob:
    file_id: str
    file: str
    at: str
    execution: str
    partition: int
    chunk: int
    key: str
    attempt: int = 1


@dataclass
class Outcome:
    index: int
    outcome: str
    order_id: str | None
    reasons: list[Reason] = field(default_factory=list)
    raw: Any = None


def _source(job: ChunkJob, index: int) -> str:
    return f"{job.file_id}#{index}"


def order_item(record: dict[str, Any], order_id: str, job: ChunkJob, index: int) -> dict[str, Any]:
    """The orders-table item of a complete record: its fields plus where it came from and its content hash."""
    return {
        **record,
        contract.ORDER_ID: order_id,
        "_source": _source(job, index),
        "_hash": contract.content_hash(record),
        "_file": job.file,
        "_at": job.at,
    }


@dataclass(frozen=True)
class _Candidate:
    """A complete, storable record: its orders-table item, plain and as DynamoDB takes it."""

    index: int
    order_id: str
    item: dict[str, Any]
    typed: dict[str, Any]
    raw: Any


def _candidate(index: int, raw: Any, job: ChunkJob) -> _Candidate | Outcome:
    """The record as an order to write, or its outcome when it is incomplete or DynamoDB could not hold it."""
    verdict = contract.check(raw)
    if not verdict.complete or verdict.record is None:
        return Outcome(index, events.QUARANTINED, verdict.order_id, verdict.reasons, raw)
    order_id = verdict.order_id
    assert order_id is not None  # a complete record has one
    item = order_item(verdict.record, order_id, job, index)
    typed = _typed(item)
    if isinstance(typed, Reason):
        return Outcome(index, events.QUARANTINED, order_id, [typed], raw)
    return _Candidate(index, order_id, item, typed, raw)


def route(index: int, raw: Any, job: ChunkJob, orders: OrdersTable) -> Outcome:
    """One record, one conditional write: the path of a chunk whose batch DynamoDB refused for an item's size."""
    candidate = _candidate(index, raw, job)
    if isinstance(candidate, Outcome):
        return candidate
    try:
        result = orders.put_new(candidate.item)
    except OrderTooLargeError:
        reason = _oversize(_json_size(candidate.item))
        return Outcome(index, events.QUARANTINED, candidate.order_id, [reason], raw)
    return _against(candidate, None if result.created else result.existing)


def _json_size(item: dict[str, Any]) -> int:
    return len(json.dumps(item, ensure_ascii=False).encode("utf-8"))


def _typed(item: dict[str, Any]) -> dict[str, Any] | Reason:
    """The order as DynamoDB takes it, or why DynamoDB could not hold it: too large, or a number out of range."""
    if (size := _json_size(item)) > MAX_ORDER_BYTES:
        return _oversize(size)
    try:
        return OrdersTable.serialize(item)
    except decimal.DecimalException:  # DynamoDB numbers: 38 digits, magnitude 1E-130 to 9.99E+125
        return Reason(
            "$",
            contract.RULE_NUMBER_RANGE,
            "the record has a number DynamoDB cannot store (over 38 digits, or beyond 1E-130 to 9.99E+125): "
            "write it as a string",
        )


def _against(candidate: _Candidate, stored: dict[str, Any] | None) -> Outcome:
    """The outcome of a record given the order stored under its id before it (None: it is the one stored)."""
    index, order_id, item = candidate.index, candidate.order_id, candidate.item
    if stored is None or stored.get("_source") == item["_source"]:  # ours, maybe from a retried attempt
        return Outcome(index, events.STORED, order_id)
    if stored.get("_hash") == item["_hash"]:
        return Outcome(index, events.DUPLICATE, order_id)
    conflict = Reason(
        f"{contract.ORDER_INFO}.{contract.ORDER_ID}",
        contract.RULE_CONFLICT,
        f"order {order_id} is already stored with different content (from {stored.get('_file', 'an earlier file')})",
    )
    return Outcome(index, events.QUARANTINED, order_id, [conflict], candidate.raw)


def _oversize(size: int) -> Reason:
    return Reason("$", contract.RULE_OVERSIZE, f"the record is {size} bytes; stored orders are limited to 400 KB")


def process_chunk(job: ChunkJob, stores: Stores) -> dict[str, int]:
    """Route every record of a chunk; a chunk already marked done returns its recorded counts."""
    if (done := _recorded(job, stores)) is not None:
        return done
    records = stores.staging.get_json(job.key)["records"]
    return _record(job, route_chunk(records, job, stores.orders, stores.leases), stores)


def route_chunk(records: list[Any], job: ChunkJob, orders: OrdersTable, leases: Leases) -> list[Outcome]:
    """Every record's outcome, in file order. The first complete record of an order id in file order is its
    writer; under the leases of the writers' slots, one consistent read says which orders are stored already
    and one batch write stores the rest, so no other file can store one of them in between."""
    outcomes: dict[int, Outcome] = {}
    writers: dict[str, _Candidate] = {}
    followers: list[_Candidate] = []
    for index, raw in records:
        candidate = _candidate(index, raw, job)
        if isinstance(candidate, Outcome):
            outcomes[index] = candidate
        elif candidate.order_id in writers:
            followers.append(candidate)
        else:
            writers[candidate.order_id] = candidate
    holder = f"{job.file_id}#{job.partition}#{job.chunk}"  # the same for a retry: it may take its own leases
    with leases.held((slot_of(order_id) for order_id in writers), holder, LEASE_TTL_S):
        stored = orders.existing(writers, ORIGIN)
        try:
            orders.put_all(c.typed for c in writers.values() if c.order_id not in stored)
        except OrderTooLargeError:  # DynamoDB measures an item over 400 KB: the whole batch is refused
            return [route(index, raw, job, orders) for index, raw in records]
    for candidate in writers.values():
        outcomes[candidate.index] = _against(candidate, stored.get(candidate.order_id))
    for candidate in followers:
        first = stored.get(candidate.order_id) or writers[candidate.order_id].item
        outcomes[candidate.index] = _against(candidate, first)
    return [outcomes[index] for index, _ in records]


def quarantine_chunk(job: ChunkJob, cause: str, stores: Stores) -> dict[str, int]:
    """The chunk failed past its retries: every record not already stored by this file goes to the DLQ."""
    if (done := _recorded(job, stores)) is not None:
        return done
    records = stores.staging.get_json(job.key)["records"]
    reason = Reason("$", contract.RULE_PROCESSING, f"the chunk could not be processed: {cause}"[:1000])
    outcomes = []
    for index, raw in records:
        order_id, _ = contract.extract_order_id(raw)
        stored = stores.orders.get(order_id) if order_id else None
        if stored is not None and stored.get("_source") == _source(job, index):
            outcomes.append(Outcome(index, events.STORED, order_id))
        else:
            outcomes.append(Outcome(index, events.QUARANTINED, order_id, [reason], raw))
    return _record(job, outcomes, stores)


def _recorded(job: ChunkJob, stores: Stores) -> dict[str, int] | None:
    """The counts of a chunk already done (its marker is written last), else None."""
    marker = stores.audit.get(*events.chunk_key(job.file_id, job.partition, job.chunk))
    return dict(marker["counts"]) if marker is not None else None


def _provenance(job: ChunkJob, staging: Staging) -> dict[int, dict[str, Any]]:
    """For a redrive batch: each line's DLQ id, attempt and original place; empty for uploaded files."""
    if not batches.is_redrive(job.file):
        return {}
    return {int(index): meta for index, meta in staging.get_json(batches.meta_key(job.file)).items()}


def _record(job: ChunkJob, outcomes: list[Outcome], stores: Stores) -> dict[str, int]:
    # Order matters: DLQ and audit first, the chunk marker last, so a crash in between is redone.
    origin = _provenance(job, stores.staging)
    stores.quarantine.send(
        _dlq_message(job, o, stores.staging, origin.get(o.index)) for o in outcomes if o.outcome == events.QUARANTINED
    )
    stores.audit.append(
        events.record_event(
            file_id=job.file_id,
            file=job.file,
            index=o.index,
            outcome=o.outcome,
            order_id=o.order_id,
            reasons=[r.as_dict() for r in o.reasons],
            at=job.at,
            execution=job.execution,
            attempt=origin.get(o.index, {}).get("attempt", job.attempt),
            detail=origin.get(o.index),
        )
        for o in outcomes
    )
    marker = events.chunk_event(
        file_id=job.file_id,
        partition=job.partition,
        chunk=job.chunk,
        outcomes=[[o.index, o.outcome, *sorted({r.rule for r in o.reasons})] for o in outcomes],
        at=job.at,
        execution=job.execution,
    )
    stores.audit.append([marker])
    return dict(marker["counts"])


def _dlq_message(job: ChunkJob, outcome: Outcome, staging: Staging, origin: dict[str, Any] | None) -> dict[str, Any]:
    # A redriven record keeps its DLQ id and original place, with its attempt raised.
    message: dict[str, Any] = {
        "kind": "record",
        "id": f"{job.file_id}:{outcome.index}",
        "file": job.file,
        "file_id": job.file_id,
        "index": outcome.index,
        "order_id": outcome.order_id,
        "reasons": [r.as_dict() for r in outcome.reasons],
        "attempt": job.attempt,
        "at": job.at,
    }
    if origin:
        message |= {
            "id": origin["dlq_id"],
            "file": origin["file"],
            "index": origin["index"],
            "attempt": origin["attempt"],
            "batch": job.file,
        }
    body = json.dumps(outcome.raw, ensure_ascii=False)
    if len(body.encode("utf-8")) > MAX_INLINE_RECORD_BYTES:
        key = f"{QUARANTINED_RECORDS}/{job.file_id}/{outcome.index:09d}.json"
        staging.put_json(key, outcome.raw)
        message["record_ref"] = {"bucket": staging.bucket, "key": key}
    else:
        message["record"] = outcome.raw
    return message
