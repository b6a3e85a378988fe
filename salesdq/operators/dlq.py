"""The quarantine DLQ as an operator reads it: every quarantined item once, and the lines `dlq export` writes."""

from __future__ import annotations

from typing import Any

from salesdq.locate import StackRef
from services.domain import dlq_message


def quarantined_items(stack: StackRef) -> list[dict[str, Any]]:
    """Every quarantined item once, oldest first: {"body", "sent_at_ms", ...}; the queue is not consumed."""
    return stack.quarantine().items()


def export_lines(stack: StackRef) -> list[dict[str, Any]]:
    """One line per quarantined item, with the record itself (fetched from S3 when it travelled by reference)."""
    inbox = stack.inbox()
    lines = []
    for item in quarantined_items(stack):
        body = item["body"]
        key = dlq_message.record_ref_key(body)
        lines.append(dlq_message.export_line(body, inbox.get_json(key) if key else body.get("record")))
    return lines
