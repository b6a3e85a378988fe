"""File runs, folded from the audit log's file events (the sparse by-day index holds only those): one run per
file and start time, whatever executions worked on it (a failed run continued by a re-upload is one run).
An event written after its run by someone else (a re-upload's `file.retried`, an operator's `file.resolved`)
names the run it belongs to by `run_at`, and never makes a run of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.domain.audit_events import EventKind

COMPLETED, REJECTED, DUPLICATE, FAILED, ACCEPTED = "completed", "rejected", "duplicate", "failed", "accepted"
_OF_AN_EARLIER_RUN = (EventKind.FILE_RETRIED, EventKind.FILE_RESOLVED)  # keyed by when written, naming `run_at`


@dataclass
class RunSummary:
    file: str
    file_id: str
    at: str
    status: str  # accepted (still running, or ended unrecorded: ask Step Functions), completed, failed, ...
    execution: str
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    retries: int = 0  # re-uploads (or `runs retry`) that continued it
    replay_of: str | None = None  # a replay (`salesdq replay file`): the `at` of the run it replays
    resolved: str | None = None  # a rejected run whose file item `dlq resolve` closed: when

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def fold_runs(events: Iterable[Mapping[str, Any]]) -> list[RunSummary]:
    """The runs the file events describe, oldest first."""
    runs: dict[tuple[str, str], RunSummary] = {}
    for event in sorted(events, key=lambda e: (str(e.get("at", "")), str(e.get("sk", "")))):
        kind, file_id = event.get("event"), str(event.get("file_id"))
        at = str(event.get("run_at") if kind in _OF_AN_EARLIER_RUN else event.get("at"))
        run = runs.get((file_id, at))
        if kind == EventKind.FILE_RESOLVED:
            if run is not None:  # None: a resolution written before it named its run (no `run_at`)
                run.resolved = str(event.get("at"))
            continue
        if run is None:
            run = runs[(file_id, at)] = RunSummary(
                str(event.get("file")), file_id, at, ACCEPTED, str(event.get("execution"))
            )
        if kind == EventKind.FILE_ACCEPTED:
            run.records = int(event.get("records", 0))
            run.execution = str(event.get("execution"))
        elif kind == EventKind.FILE_COMPLETED:
            run.status, run.reason, run.execution = COMPLETED, None, str(event.get("execution"))
            run.records = int(event.get("records", 0))
            run.stored, run.duplicates = int(event.get("stored", 0)), int(event.get("duplicates", 0))
            run.quarantined = int(event.get("quarantined", 0))
        elif kind == EventKind.FILE_FAILED and run.status != COMPLETED:
            run.status, run.reason, run.execution = FAILED, str(event.get("reason")), str(event.get("execution"))
        elif kind == EventKind.FILE_RETRIED:
            run.retries += 1
            run.execution = str(event.get("execution"))
            if run.status == FAILED:
                run.status = ACCEPTED  # continued: running again, until it ends
        elif kind == EventKind.FILE_REPLAYED:
            run.replay_of = str(event.get("replay_of"))
        elif kind == EventKind.FILE_REJECTED:
            run.status, run.reason = REJECTED, str(event.get("reason"))
        elif kind == EventKind.FILE_DUPLICATE:
            run.status, run.reason = DUPLICATE, f"same bytes as {event.get('duplicate_of')}"
    return list(runs.values())
