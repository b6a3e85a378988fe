"""What is quarantined, as an operator reads it: from the quarantine view (paginated scans), never by receiving
the queue, so a read costs what the open set is, hides nothing from another reader and cannot come back
partial; and the lines `dlq export` writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from salesdq.locate import StackRef
from services.dal.quarantine_view import body_of
from services.domain import dlq_message


@dataclass(frozen=True)
class Filters:
    """What `dlq list` / `dlq export` narrow the open set to: a file (its name or file id), a rule, a field."""

    file: str | None = None
    rule: str | None = None
    field: str | None = None
    limit: int | None = None


def quarantined_items(stack: StackRef, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """The open items's DLQ message bodies, in the view's scan order."""
    view = stack.quarantined()
    for item in view.items(file=filters.file, rule=filters.rule, field=filters.field, limit=filters.limit):
        yield body_of(item)


def export_lines(stack: StackRef, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """One line per open item, with the record itself (fetched from S3 when it travelled by reference)."""
    inbox = stack.inbox()
    for body in quarantined_items(stack, filters):
        key = dlq_message.record_ref_key(body)
        yield dlq_message.export_line(body, inbox.get_json(key) if key else body.get("record"))
