"""A record quarantined: one DLQ message per quarantined record of a chunk, with its reasons, recorded in the
quarantine view too (what `dlq list` reads); a redriven record that now ends stored or duplicate resolves its
item there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView, Resolution
from services.domain import dlq_message
from services.domain.dlq_message import Origin
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob


def quarantine(
    job: ChunkJob,
    outcomes: Sequence[RecordOutcome],
    origins: Mapping[int, Origin],
    queue: QuarantineQueue,
    inbox: InboxBucket,
    view: QuarantineView,
) -> dict[int, dict[str, Any]]:
    """Send the chunk's quarantined records to the DLQ (records too large to travel inline go to S3 first);
    returns each message by the record's index, for the audit events that name it."""
    messages: dict[int, dict[str, Any]] = {}
    for outcome in outcomes:
        if outcome.outcome != Outcome.QUARANTINED:
            continue
        message, offload = dlq_message.for_record(
            file_id=job.file_id,
            file=job.file,
            index=outcome.index,
            order_id=outcome.order_id,
            reasons=[r.as_dict() for r in outcome.reasons],
            attempt=job.attempt,
            at=job.at,
            record=outcome.raw,
            bucket=inbox.bucket,
            origin=origins.get(outcome.index),
        )
        if offload is not None:
            inbox.put_json(offload.key, offload.value)
        messages[outcome.index] = message
    queue.send(messages.values())
    view.open(messages.values())
    view.resolve(
        Resolution(origins[o.index].dlq_id, o.outcome, job.file, job.at)
        for o in outcomes
        if o.outcome != Outcome.QUARANTINED and o.index in origins
    )
    return messages
