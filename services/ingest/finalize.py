"""The Finalize step: a file finalized. Its chunk outcomes are folded into its summary event; it refuses to
finish (the execution fails, visibly) if any chunk is missing or the counts do not add up."""

from __future__ import annotations

from typing import Any

from services.audit.summary import fold_run
from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.outcomes import Outcome
from services.domain.payloads import FileRun


class IncompleteFileError(Exception):
    """Fewer chunk outcomes than chunks, or counts that do not add up: records would be unaccounted."""


def finalize(run: FileRun, audit: AuditLog) -> dict[str, Any]:
    counts = fold_run(audit, run.file_id, run.at)
    if counts.chunks != run.chunks or counts.records != run.records:
        raise IncompleteFileError(
            f"{run.file}: {counts.chunks} of {run.chunks} chunks reported, "
            f"{counts.records} of {run.records} records accounted"
        )
    summary = {
        "status": "completed",
        "file": run.file,
        "file_id": run.file_id,
        "records": counts.records,
        "stored": counts.outcomes[Outcome.STORED],
        "duplicates": counts.outcomes[Outcome.DUPLICATE],
        "quarantined": counts.outcomes[Outcome.QUARANTINED],
        "score": counts.score,
        "failures_by_rule": counts.failures_by_rule,
    }
    audit.append(
        [
            audit_events.file_event(
                file_id=run.file_id,
                kind=EventKind.FILE_COMPLETED,
                at=run.at,
                file=run.file,
                execution=run.execution,
                **{k: v for k, v in summary.items() if k not in ("status", "file", "file_id")},
            )
        ]
    )
    return summary
