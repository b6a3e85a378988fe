"""A record quarantined: one quarantine message per quarantined record of a chunk, with its reasons, recorded in the
quarantine view too (what `quarantine list` reads); a redriven record that now ends stored or duplicate resolves its
item there.

In a replay run (a new run of a file's bytes, `salesdq replay file`) a record has the quarantine id it had in the run
replayed (`<file sha256>:<index>`), so one keyed batch read of the view for the chunk (`replayed_items`, made
before the chunk is judged) says which were quarantined: one that now ends stored or duplicate resolves its
item (the sweep at the end of the run deletes its message); one still quarantined for the same reasons is not
sent again (its audit event names the message that stays open, `message_at`); for other reasons (the contract
changed), its open item and message are replaced under the same id (the sweep keeps one copy); one whose item
a replay resolved and that is quarantined again is sent again and reopens it. A record a redrive has taken on
since (`taken_by_redrive`) is not judged again: the redrive's outcome is carried into the run (`carried`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import OPEN, QuarantineView, Resolution, body_of
from services.domain import quarantine_message, redrive_batch
from services.domain.contract import Reason, Rule
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.domain.quarantine_message import Origin


def quarantine(
    job: ChunkJob,
    outcomes: Sequence[RecordOutcome],
    origins: Mapping[int, Origin],
    queue: QuarantineQueue,
    inbox: InboxBucket,
    view: QuarantineView,
    earlier: Mapping[int, dict[str, Any]],
) -> dict[int, dict[str, Any]]:
    """Send the chunk's quarantined records to the quarantine queue (records too large to travel inline go to S3 first);
    returns each message by the record's index, for the audit events that name it. `earlier`: in a replay run,
    the view's items of the chunk's records (`replayed_items`)."""
    messages: dict[int, dict[str, Any]] = {}
    sent: dict[int, dict[str, Any]] = {}
    for outcome in outcomes:
        if outcome.outcome != Outcome.QUARANTINED:
            continue
        item = earlier.get(outcome.index)
        reasons = [r.as_dict() for r in outcome.reasons]
        if item is not None and item.get("status") == OPEN and body_of(item).get("reasons") == reasons:
            # quarantined once already for the same reasons, or a redrive's outcome carried: not resent
            messages[outcome.index] = body_of(item)
            continue
        message, offload = quarantine_message.for_record(
            run=job.run,
            index=outcome.index,
            order_id=outcome.order_id,
            reasons=reasons,
            attempt=job.attempt,
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
        Resolution(origins[o.index].quarantine_id, o.outcome, job.run.file, job.run.id)
        for o in outcomes
        if o.outcome != Outcome.QUARANTINED and o.index in origins
    )
    view.resolve(
        Resolution(str(item["id"]), o.outcome, job.run.file, job.run.id)
        for o in outcomes
        if o.outcome != Outcome.QUARANTINED
        and (item := earlier.get(o.index)) is not None
        and item.get("status") == OPEN
        and o.carried is None
    )
    return messages


def replayed_items(job: ChunkJob, indexes: Iterable[int], view: QuarantineView) -> dict[int, dict[str, Any]]:
    """In a replay run, the view's items of the chunk's records, by index (reads only; none otherwise)."""
    return items_of(job.run.file_id, indexes, view) if job.run.replay_of else {}


def items_of(file_id: str, indexes: Iterable[int], view: QuarantineView) -> dict[int, dict[str, Any]]:
    """The view's items of a file's records, by index (one keyed batch read; a record never quarantined has none)."""
    ids = {quarantine_message.record_id(file_id, index): index for index in indexes}
    return {ids[item_id]: item for item_id, item in view.get_many(ids).items()} if ids else {}


def taken_by_redrive(item: Mapping[str, Any]) -> bool:
    """A redrive has sent a correction of the record: in flight, ended quarantined at a later attempt, or ended
    stored or duplicate (resolved by a redrive batch). Its correction, not the file's bytes, is the record now."""
    if item.get("status") == OPEN:
        return bool(item.get("redriving")) or int(item.get("attempt", 1)) > 1
    return redrive_batch.is_redrive(str(item.get("resolved_by", "")))


def carried(index: int, item: dict[str, Any]) -> RecordOutcome:
    """A replay's outcome for a record a redrive has taken on: the redrive's. Resolved, the record's order is
    stored already (a replay calls that a duplicate); still open, it stays quarantined under the redrive's
    message and reasons."""
    body = body_of(item)
    order_id = body.get("order_id")
    if item.get("status") != OPEN:
        return RecordOutcome(index, Outcome.DUPLICATE, order_id, carried=item)
    reasons = [Reason(str(r["field"]), Rule(str(r["rule"])), str(r["message"])) for r in body.get("reasons", [])]
    return RecordOutcome(index, Outcome.QUARANTINED, order_id, reasons, body.get("record"), carried=item)
