"""What is quarantined, as an operator reads it: from the quarantine view (paginated scans), never by receiving
the queue, so a read costs what the open set is, hides nothing from another reader and cannot come back
partial; and the lines `quarantine export` writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from salesdq import resources
from salesdq.locate import StackRef
from salesdq.operators import runs
from services.dal.quarantine_view import RESOLVED, Resolution, body_of
from services.domain import audit_events, quarantine_message
from services.domain.audit_events import EventKind
from services.domain.run import Run
from services.redrive.sweep import sweep as sweep_queue


@dataclass(frozen=True)
class Filters:
    """What `quarantine list` / `quarantine export` narrow the open set to: a file (its name, key, file id or a
    prefix of it: runs.file_named), a rule, a field."""

    file: str | None = None
    rule: str | None = None
    field: str | None = None
    limit: int | None = None


def quarantined_items(stack: StackRef, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """The open items's quarantine message bodies, in the view's scan order."""
    view = stack.quarantined()
    files = resources.keys_named(runs.file_named(stack, filters.file)) if filters.file else None
    for item in view.items(files=files, rule=filters.rule, field=filters.field, limit=filters.limit):
        yield body_of(item)


def export_lines(stack: StackRef, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """One line per open item, with the record itself (fetched from S3 when it travelled by reference)."""
    inbox = stack.inbox()
    for body in quarantined_items(stack, filters):
        key = quarantine_message.record_ref_key(body)
        yield quarantine_message.export_line(body, inbox.get_json(key) if key else body.get("record"))


def sweep(stack: StackRef) -> dict[str, int]:
    """Delete the quarantine messages of resolved and superseded items (as a run's last step does)."""
    return sweep_queue(stack.quarantine(), stack.quarantined())


def resolve_files(stack: StackRef, ids: list[str], note: str, at: str) -> dict[str, list[dict[str, str]]]:
    """Close the quarantine items of rejected files an operator has dealt with (uploaded fixed, or given up on): each
    item resolved in the view with a `file.resolved` event in the file's history, then the queue swept. A
    record's item is refused: a record is resolved by redriving it."""
    items = stack.quarantined().get_many(ids)
    resolved, refused = [], []
    for item_id in ids:
        item = items.get(item_id)
        if item is None or item.get("status") == RESOLVED:
            refused.append({"id": item_id, "error": "no_quarantine_item", "message": "not an open quarantine item"})
        elif item.get("kind") != quarantine_message.Kind.FILE:
            refused.append({"id": item_id, "error": "not_a_file", "message": "a record is resolved by `redrive`"})
        else:
            body = body_of(item)
            stack.audit().append(
                [
                    audit_events.file_event(
                        # an operator's event, keyed by when it was written (no execution wrote it)
                        run=Run(file_id=str(body.get("file_id")), file=str(body.get("file")), id=at, execution=""),
                        kind=EventKind.FILE_RESOLVED,
                        run_at=str(body.get("at")),  # the rejected run it closes (salesdq/operators/run_summaries.py)
                        quarantine_id=item_id,
                        note=note,
                    )
                ]
            )
            stack.quarantined().resolve([Resolution(item_id, "resolved", "operator", at)])
            resolved.append({"id": item_id, "file": str(body.get("file"))})
    if resolved:
        sweep(stack)
    return {"resolved": resolved, "refused": refused}
