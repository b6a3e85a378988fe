"""File runs, folded from the audit log's file events (the sparse by-day index holds only those): one run per
file and start time, whatever executions worked on it (a failed run continued by a re-upload is one run).
An event written after its run by someone else (a re-upload's `file.retried`, an operator's `file.resolved`)
names the run it belongs to by `run_at`, and never makes a run of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.domain.audit_events import EventKind
from services.domain.run import Run

COMPLETED, REJECTED, DUPLICATE, FAILED, ACCEPTED = "completed", "rejected", "duplicate", "failed", "accepted"
_OF_AN_EARLIER_RUN = (EventKind.FILE_RETRIED, EventKind.FILE_RESOLVED)  # keyed by when written, naming `run_at`


@dataclass
class RunSummary:
    run: Run  # its `replay_of`: for a replay (`salesdq replay file`), the run it replays
    status: str  # accepted (still running, or ended unrecorded: ask Step Functions), completed, failed, ...
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    retries: int = 0  # re-uploads (or `runs retry`) that continued it
    resolved: str | None = None  # a rejected run whose file item `quarantine resolve` closed: when
    verdict: str | None = None  # a completed run's file under its contract's file-level rules: passed, alert, rejected

    def as_dict(self) -> dict[str, Any]:
        """The run's fields in its serialized form (Run.to_payload), beside its summary's."""
        return self.run.to_payload() | {name: value for name, value in vars(self).items() if name != "run"}

    def ran(self, event: Mapping[str, Any]) -> None:
        """The execution that wrote `event` is the one working on the run now."""
        self.run = self.run.model_copy(update={"execution": str(event.get("execution"))})


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
            found = Run(file_id=file_id, file=str(event.get("file")), id=at, execution=str(event.get("execution")))
            run = runs[(file_id, at)] = RunSummary(found, ACCEPTED)
        if kind == EventKind.FILE_ACCEPTED:
            run.records = int(event.get("records", 0))
            run.ran(event)
        elif kind == EventKind.FILE_COMPLETED:
            # a file-level rule's verdict is the file's; its records keep their outcomes: the run completed
            run.status, run.reason = COMPLETED, str(event["reason"]) if event.get("reason") else None
            run.verdict = str(event["verdict"]) if event.get("verdict") else None
            run.ran(event)
            run.records = int(event.get("records", 0))
            run.stored, run.duplicates = int(event.get("stored", 0)), int(event.get("duplicates", 0))
            run.quarantined = int(event.get("quarantined", 0))
        elif kind == EventKind.FILE_FAILED and run.status != COMPLETED:
            run.status, run.reason = FAILED, str(event.get("reason"))
            run.ran(event)
        elif kind == EventKind.FILE_RETRIED:
            run.retries += 1
            run.ran(event)
            if run.status == FAILED:
                run.status = ACCEPTED  # continued: running again, until it ends
        elif kind == EventKind.FILE_REPLAYED:
            replayed = Run(
                file_id=file_id,
                file=run.run.file,  # a replay keeps the file's first name
                id=str(event.get("replay_of")),
                execution=str(event.get("replay_of_execution")),
            )
            run.run = run.run.model_copy(update={"replay_of": replayed})
        elif kind == EventKind.FILE_REJECTED:
            run.status, run.reason = REJECTED, str(event.get("reason"))
        elif kind == EventKind.FILE_DUPLICATE:
            run.status, run.reason = DUPLICATE, f"same bytes as {event.get('duplicate_of')}"
    return list(runs.values())
