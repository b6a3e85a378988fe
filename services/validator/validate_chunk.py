"""The ValidateChunk step: each record of a chunk validated against the contract and routed to exactly one
outcome (stored, duplicate or quarantined), quarantined records sent to the quarantine queue, every outcome audited.

Order matters: orders first, then the quarantine queue and the record events, the chunk marker last, so a chunk
that dies in between is redone by its retry and every write lands on the key it would have had.

An error of AWS (throttling, a lost reply, a busy lease, a refused message) fails the chunk: the workflow
retries it, and past its retries the run fails visibly; it never becomes a record's outcome. A record that
makes the validator itself raise (a poison record: it would raise on every retry) is found by splitting the chunk, as
Lambda's bisect-on-error does, and quarantined alone as `processing_failed`; the rest is processed normally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.audit.outcomes import append_outcomes, recorded_counts
from services.contract import CompiledContract
from services.contract.published import Contracts
from services.dal import Stores
from services.dal.errors import is_aws_failure
from services.dal.inbox_bucket import InboxBucket
from services.domain import chunk_entry, redrive_batch
from services.domain.contract import Reason, Rule
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.domain.quarantine_message import Origin
from services.validator.quarantine import carried, quarantine, replayed_items, taken_by_redrive
from services.validator.store_orders import store_chunk

MAX_ERROR_CHARS = 500


def validate_chunk(job: ChunkJob, stores: Stores, contracts: Contracts | None = None) -> dict[str, int]:
    """Route every record of a chunk; a chunk already marked done returns its recorded counts. `contracts`: the
    function's, kept from its cold start (None: one for this call alone)."""
    if (done := recorded_counts(job, stores.audit)) is not None:
        return done
    records = stores.inbox.get_json(job.key)["records"]
    judge = (contracts or Contracts(stores.contracts)).of(job.run.contract)  # the run's, whatever is active now
    earlier = replayed_items(job, (chunk_entry.read(entry)[0] for entry in records), stores.quarantined)
    # A record a redrive has taken on since the file's last run keeps the redrive's outcome: its original bytes
    # are not judged again (nor stored, were they valid now: the correction is the record).
    taken = {index: item for index, item in earlier.items() if taken_by_redrive(item)}
    if not taken:
        return _record(job, _route(records, job, stores, judge), earlier, stores)
    judged = [entry for entry in records if chunk_entry.read(entry)[0] not in taken]
    outcomes = (_route(judged, job, stores, judge) if judged else []) + [carried(i, item) for i, item in taken.items()]
    return _record(job, sorted(outcomes, key=lambda o: o.index), earlier, stores)


def _route(
    records: Sequence[Sequence[Any]], job: ChunkJob, stores: Stores, judge: CompiledContract
) -> list[RecordOutcome]:
    """store_chunk's outcomes; when it raises for something other than AWS, the halves are routed apart, in
    file order (the first half's orders are stored before the second half looks), down to the one record."""
    try:
        return store_chunk(records, job, stores.orders, stores.leases, judge)
    except Exception as error:
        if is_aws_failure(error):
            raise
        if len(records) == 1:
            index, raw, _ = chunk_entry.read(records[0])
            return [_poisoned(index, raw, error, judge)]
        middle = len(records) // 2
        return _route(records[:middle], job, stores, judge) + _route(records[middle:], job, stores, judge)


def _poisoned(index: int, raw: Any, error: Exception, judge: CompiledContract) -> RecordOutcome:
    try:
        order_id, _ = judge.extract_order_id(raw)
    except Exception:  # the record is poison all the way down: it goes to the quarantine queue without an order id
        order_id = None
    message = f"the validator failed on this record: {type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    return RecordOutcome(index, Outcome.QUARANTINED, order_id, [Reason("$", Rule.PROCESSING_FAILED, message)], raw)


def _origins(job: ChunkJob, inbox: InboxBucket) -> dict[int, Origin]:
    """For a redrive batch: each line's quarantine id, attempt and original place; empty for uploaded files."""
    if not redrive_batch.is_redrive(job.run.file):
        return {}
    meta = inbox.get_json(redrive_batch.meta_key(job.run.file))
    return {int(index): Origin.from_dict(origin) for index, origin in meta.items()}


def _record(
    job: ChunkJob, outcomes: Sequence[RecordOutcome], earlier: Mapping[int, dict[str, Any]], stores: Stores
) -> dict[str, int]:
    origins = _origins(job, stores.inbox)
    messages = quarantine(job, outcomes, origins, stores.quarantine, stores.inbox, stores.quarantined, earlier)
    return append_outcomes(job, outcomes, origins, messages, stores.audit, stores.inbox)
