"""Finalize: fold a file's chunk events into its summary event; refuse to finish if any chunk is missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.audit import events
from services.shared.dal.audit_log import AuditLog


class IncompleteFileError(Exception):
    """Fewer chunk outcomes than chunks, or counts that do not add up: records would be unaccounted."""


@dataclass(frozen=True)
class FileRun:
    file_id: str
    file: str
    at: str
    execution: str
    records: int
    chunks: int


def finalize(run: FileRun, audit: AuditLog) -> dict[str, Any]:
    counts = dict.fromkeys(events.OUTCOMES, 0)
    failures: dict[str, int] = {}
    seen = 0
    for chunk in audit.query(*events.chunk_prefix(run.file_id), attributes=events.CHUNK_SUMMARY):
        if chunk.get("at") != run.at:  # another run's; a run retried after a failure keeps its `at`
            continue
        seen += 1
        for outcome, count in chunk["counts"].items():
            counts[outcome] += count
        for rule, count in chunk.get("failures", {}).items():
            failures[rule] = failures.get(rule, 0) + count
    total = sum(counts.values())
    if seen != run.chunks or total != run.records:
        raise IncompleteFileError(
            f"{run.file}: {seen} of {run.chunks} chunks reported, {total} of {run.records} records accounted"
        )
    score = round((counts[events.STORED] + counts[events.DUPLICATE]) / total, 4) if total else 0.0
    summary = {
        "status": "completed",
        "file": run.file,
        "file_id": run.file_id,
        "records": total,
        "stored": counts[events.STORED],
        "duplicates": counts[events.DUPLICATE],
        "quarantined": counts[events.QUARANTINED],
        "score": score,
        "failures_by_rule": failures,
    }
    audit.append(
        [
            events.file_event(
                file_id=run.file_id,
                kind=events.FILE_COMPLETED,
                at=run.at,
                file=run.file,
                execution=run.execution,
                **{k: v for k, v in summary.items() if k not in ("status", "file", "file_id")},
            )
        ]
    )
    return summary
