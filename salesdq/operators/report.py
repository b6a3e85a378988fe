"""Totals over the whole audit history."""

from __future__ import annotations

from typing import Any

from salesdq import resources
from salesdq.locate import StackRef
from services.domain.audit_events import EventKind


def audit_totals(stack: StackRef) -> dict[str, Any]:
    """Totals from the file events of the sparse by-day index (redrive batches included: a redriven record
    counts once quarantined and once for its new outcome)."""
    totals = {"files": 0, "records": 0, "stored": 0, "duplicates": 0, "quarantined": 0}
    rejected = duplicate_files = 0
    for event in stack.audit().scan(index=resources.AUDIT.indexes[0].name):
        kind = event.get("event")
        if kind == EventKind.FILE_COMPLETED:
            totals["files"] += 1
            for key in ("records", "stored", "duplicates", "quarantined"):
                totals[key] += int(event.get(key, 0))
        elif kind == EventKind.FILE_REJECTED:
            rejected += 1
        elif kind == EventKind.FILE_DUPLICATE:
            duplicate_files += 1
    return {"totals": totals, "files_rejected": rejected, "files_duplicate": duplicate_files}
