"""An outcome audited: every record's terminal event, then the chunk's compact marker, appended to the log.

Each record event is self-contained, so the log alone rebuilds the projections (salesdq/operators/fold.py): a
stored record's event holds its orders-table item as written (or a reference to an immutable S3 object for a
record too large to travel inline), a duplicate's names the stored order it repeats, a quarantined record's
holds its quarantine id and its record (as JSON text, since a quarantined record may hold what DynamoDB cannot), as
its quarantine message does.

The marker also holds the chunk's aggregates (failures by rule and by field, a few quarantine ids of each rule, and
for a redrive batch what it did for each original file): reports read those, never the records' events.

The marker is written last: a chunk whose marker exists is done, and its recorded counts are returned to a
retry instead of doing the work again; a chunk without one is redone, rewriting the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.dal.audit_log import AuditLog
from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_view import body_of
from services.domain import audit_events, json_codec
from services.domain.inline import inline_or_ref
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.domain.quarantine_message import Origin

AUDIT_ITEMS = "audit/items"  # stored items too large to travel inline: one object per record and run


def recorded_counts(job: ChunkJob, audit: AuditLog) -> dict[str, int] | None:
    """The counts of a chunk already done, else None."""
    marker = audit.get(*audit_events.chunk_key(job.run.file_id, job.run.id, job.partition, job.chunk))
    return dict(marker["counts"]) if marker is not None else None


def append_outcomes(
    job: ChunkJob,
    outcomes: Sequence[RecordOutcome],
    origins: Mapping[int, Origin],
    messages: Mapping[int, Mapping[str, Any]],
    audit: AuditLog,
    inbox: InboxBucket,
) -> dict[str, int]:
    """Each record's event, then the chunk's marker; returns the chunk's counts. `messages`: the quarantine message
    of each quarantined record, by index."""
    audit.append(
        audit_events.record_event(
            run=job.run,
            index=o.index,
            outcome=o.outcome,
            order_id=o.order_id,
            reasons=[r.as_dict() for r in o.reasons],
            attempt=origins[o.index].attempt if o.index in origins else job.attempt,
            detail=origins[o.index].as_dict() if o.index in origins else None,
            content=_content(job, o, messages.get(o.index), inbox),
            warnings=[w.as_dict() for w in o.warnings],
        )
        for o in outcomes
    )
    marker = audit_events.chunk_event(
        run=job.run,
        partition=job.partition,
        chunk=job.chunk,
        outcomes=[[o.index, o.outcome, *o.rules] for o in outcomes],
        fields={o.index: [r.field for r in o.reasons] for o in outcomes if o.reasons},
        quarantine_ids={index: str(message["id"]) for index, message in messages.items()},
        origins=origins,
        warnings={o.index: sorted({w.rule for w in o.warnings}) for o in outcomes if o.warnings},
        repeats=sum(o.repeat for o in outcomes),
    )
    audit.append([marker])
    return dict(marker["counts"])


def _content(
    job: ChunkJob, outcome: RecordOutcome, message: Mapping[str, Any] | None, inbox: InboxBucket
) -> dict[str, Any]:
    """What the projections need of the outcome, beyond its place and reasons."""
    if outcome.outcome == Outcome.STORED and outcome.item is not None:
        key = f"{AUDIT_ITEMS}/{job.run.file_id}/{job.run.id}/{outcome.index:09d}.json"
        stored, offload = inline_or_ref("item", outcome.item, key=key, bucket=inbox.bucket)
        if offload is not None:
            inbox.put_json(offload.key, offload.value)
            return stored
        # As JSON text, one string attribute: a nested map costs DynamoDB's parsing (and the engine's) per field.
        return {"item_json": json_codec.dumps(outcome.item)}
    content: dict[str, Any] = {}
    if outcome.carried is not None:  # a replay's record a redrive took on: the redrive's outcome, carried
        item = outcome.carried
        by = item.get("resolved_by") or item.get("redriving") or body_of(item).get("batch")
        content["carried"] = {
            "quarantine_id": item["id"],
            "by": by,
            "outcome": item.get("outcome", Outcome.QUARANTINED),
        }
    if outcome.outcome == Outcome.DUPLICATE:
        return content | {"duplicate_of": outcome.duplicate_of}
    if message is not None:
        content["quarantine_id"] = message["id"]  # a redriven record keeps its first quarantine id
        if message.get("at") != job.run.id:  # not sent by this run (a replay): the message an earlier run sent stays
            content["message_at"] = message["at"]
        if "record_ref" in message:
            content["record_ref"] = message["record_ref"]
        else:  # as JSON text: a quarantined record may hold what a DynamoDB map cannot (a number, a key, a depth)
            content["record_json"] = json_codec.dumps(message.get("record"), ascii=True)
    return content
