"""A record quarantined: one DLQ message per quarantined record of a chunk, with its reasons, recorded in the
quarantine view too (what `dlq list` reads); a redriven record that now ends stored or duplicate resolves its
item there.

In a replay run (a new run of a file's bytes, `salesdq replay file`) a record has the DLQ id it had in the run
replayed (`<file sha256>:<index>`), so one keyed batch read of the view for the chunk says which were
quarantined: one that now ends stored or duplicate resolves its item (the sweep at the end of the run deletes
its message); one still quarantined for the same reasons is not sent again; for other reasons (the contract
changed), its open item and message are replaced under the same id (the sweep keeps one copy); unless a redrive
has taken it on since (then that redrive's item stands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import OPEN, QuarantineView, Resolution, body_of
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
    sent: dict[int, dict[str, Any]] = {}
    earlier = _replayed_items(job, outcomes, view)
    for outcome in outcomes:
        if outcome.outcome != Outcome.QUARANTINED:
            continue
        item = earlier.get(outcome.index)
        if item is not None and (item.get("status") != OPEN or _redriven(item)):
            continue  # a redrive took the record on since the run replayed: its item and message stand
        reasons = [r.as_dict() for r in outcome.reasons]
        if item is not None and body_of(item).get("reasons") == reasons:
            messages[outcome.index] = body_of(item)  # quarantined once already, for the same reasons: not resent
            continue
        message, offload = dlq_message.for_record(
            file_id=job.file_id,
            file=job.file,
            index=outcome.index,
            order_id=outcome.order_id,
            reasons=reasons,
            attempt=job.attempt,
            at=job.at,
            record=outcome.raw,
            bucket=inbox.bucket,
            origin=origins.get(outcome.index),
        )
        if offload is not None:
            inbox.put_json(offload.key, offload.value)
        messages[outcome.index] = sent[outcome.index] = message
    queue.send(sent.values())
    view.open(sent.values())
    view.resolve(
        Resolution(origins[o.index].dlq_id, o.outcome, job.file, job.at)
        for o in outcomes
        if o.outcome != Outcome.QUARANTINED and o.index in origins
    )
    view.resolve(
        Resolution(str(item["id"]), o.outcome, job.file, job.at)
        for o in outcomes
        if o.outcome != Outcome.QUARANTINED
        and (item := earlier.get(o.index)) is not None
        and item.get("status") == OPEN
        and not _redriven(item)
    )
    return messages


def _replayed_items(
    job: ChunkJob, outcomes: Sequence[RecordOutcome], view: QuarantineView
) -> dict[int, dict[str, Any]]:
    """In a replay run, the view's items of the chunk's records, by index (reads only; none otherwise)."""
    if not job.replay_of:
        return {}
    ids = {dlq_message.record_id(job.file_id, o.index): o.index for o in outcomes}
    return {ids[item_id]: item for item_id, item in view.get_many(ids).items()}


def _redriven(item: dict[str, Any]) -> bool:
    """A redrive has sent a correction of the record (in flight, or ended at a later attempt)."""
    return bool(item.get("redriving")) or int(item.get("attempt", 1)) > 1
