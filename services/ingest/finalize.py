"""The Finalize step: a file finalized. Its chunk outcomes are folded into its summary event; it refuses to
finish (the execution fails, visibly) if any chunk is missing or the counts do not add up.

The `file.completed` event is what reports read of a file: its counts and score, failures by rule and by
field, a few example DLQ ids per rule. A redrive batch's run also writes, for each original file whose records
it held, one `file.redriven` item under that file's key (how many it redrove for the first time, how many now
ended stored or duplicate), before its own `file.completed`, so a retried Finalize rewrites the same items.
"""

from __future__ import annotations

from typing import Any

from services.audit.summary import RunCounts, fold_run
from services.dal.audit_log import AuditLog
from services.domain import audit_events, contract, redrive_batch
from services.domain.audit_events import EventKind
from services.domain.outcomes import Outcome
from services.domain.payloads import FileRun


class IncompleteFileError(Exception):
    """Fewer chunk outcomes than chunks, or counts that do not add up: records would be unaccounted."""


def finalize(run: FileRun, audit: AuditLog) -> dict[str, Any]:
    return complete(run, fold_run(audit, run.file_id, run.at), audit)


def complete(run: FileRun, counts: RunCounts, audit: AuditLog) -> dict[str, Any]:
    """The run's summary from its chunks' counts, written as its `file.completed` event (and, for a redrive
    batch, its `file.redriven` accounts); IncompleteFileError when the counts miss chunks or records."""
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
    detail: dict[str, Any] = {
        "failures_by_field": counts.failures_by_field,
        "examples_by_rule": counts.examples_by_rule,
    }
    if redrive_batch.is_redrive(run.file):
        detail |= {
            "redriven": sum(t["redriven"] for t in counts.origins.values()),
            "resolved": sum(t["resolved"] for t in counts.origins.values()),
            "origin_files": len(counts.origins),
        }
        audit.append(
            audit_events.file_redriven(
                file_id=file_id,
                batch=run.file,
                batch_file_id=run.file_id,
                at=run.at,
                redriven=tally["redriven"],
                resolved=tally["resolved"],
            )
            for file_id, tally in sorted(counts.origins.items())
        )
    audit.append(
        [
            audit_events.file_event(
                file_id=run.file_id,
                kind=EventKind.FILE_COMPLETED,
                at=run.at,
                file=run.file,
                execution=run.execution,
                contract_version=contract.version(),  # the run's contract, as its record events name it
                **{k: v for k, v in summary.items() if k not in ("status", "file", "file_id")},
                **detail,
            )
        ]
    )
    return summary
