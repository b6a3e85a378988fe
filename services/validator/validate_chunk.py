"""The ValidateChunk step: each record of a chunk validated against the contract and routed to exactly one
outcome (stored, duplicate or quarantined), quarantined records sent to the DLQ, every outcome audited.

Order matters: orders first, then the DLQ and the record events, the chunk marker last, so a chunk that dies
in between is redone by its retry and every write lands on the key it would have had.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.audit.outcomes import append_outcomes, recorded_counts
from services.dal import Stores
from services.dal.inbox_bucket import InboxBucket
from services.domain import contract, redrive_batch
from services.domain.contract import Reason, Rule
from services.domain.dlq_message import Origin
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.validator.quarantine import quarantine
from services.validator.store_orders import store_chunk


def validate_chunk(job: ChunkJob, stores: Stores) -> dict[str, int]:
    """Route every record of a chunk; a chunk already marked done returns its recorded counts."""
    if (done := recorded_counts(job, stores.audit)) is not None:
        return done
    records = stores.inbox.get_json(job.key)["records"]
    return _record(job, store_chunk(records, job, stores.orders, stores.leases), stores)


def quarantine_chunk(job: ChunkJob, cause: str, stores: Stores) -> dict[str, int]:
    """The chunk failed past its retries: every record not already stored by this file goes to the DLQ."""
    if (done := recorded_counts(job, stores.audit)) is not None:
        return done
    records = stores.inbox.get_json(job.key)["records"]
    reason = Reason("$", Rule.PROCESSING_FAILED, f"the chunk could not be processed: {cause}"[:1000])
    outcomes = []
    for index, raw, *_ in records:  # [index, record] or [index, record, findings]
        order_id, _ = contract.extract_order_id(raw)
        stored = stores.orders.get(order_id) if order_id else None
        if stored is not None and stored.get("_source") == job.source(index):
            outcomes.append(RecordOutcome(index, Outcome.STORED, order_id))
        else:
            outcomes.append(RecordOutcome(index, Outcome.QUARANTINED, order_id, [reason], raw))
    return _record(job, outcomes, stores)


def _origins(job: ChunkJob, inbox: InboxBucket) -> dict[int, Origin]:
    """For a redrive batch: each line's DLQ id, attempt and original place; empty for uploaded files."""
    if not redrive_batch.is_redrive(job.file):
        return {}
    meta = inbox.get_json(redrive_batch.meta_key(job.file))
    return {int(index): Origin.from_dict(origin) for index, origin in meta.items()}


def _record(job: ChunkJob, outcomes: Sequence[RecordOutcome], stores: Stores) -> dict[str, int]:
    origins = _origins(job, stores.inbox)
    quarantine(job, outcomes, origins, stores.quarantine, stores.inbox)
    return append_outcomes(job, outcomes, origins, stores.audit)
