"""A file's claim: the first execution to see a file's bytes (its sha256) holds the claim, and every other
delivery of the same bytes is a duplicate, unless the holder ended without finishing the file; then a
re-upload takes the claim over and continues that run.

S3 -> EventBridge delivers at least once, so a claim held by a running (or succeeded) execution makes a
duplicate. One held by an execution that ended unfinished passes to the new one, by a write conditional on
that execution still holding it: of two re-uploads at once, one wins and the other is a duplicate.
"""

from __future__ import annotations

from typing import Any

from services.dal.audit_log import AuditLog
from services.dal.executions import ExecutionNotFoundError, Executions, execution_arn
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.payloads import FileJob
from services.ingest.split import Layout

GONE = "GONE"  # not a Step Functions status: the execution is no longer kept and never completed the file
# How an execution may end without finishing its file; RUNNING and PENDING_REDRIVE may still finish it.
ENDED_UNFINISHED = frozenset({"FAILED", "TIMED_OUT", "ABORTED", GONE})


def may_take_over(status: str) -> bool:
    """Whether a claim held by an execution in this state may pass to a re-upload of the file."""
    return status in ENDED_UNFINISHED


def claim(
    job: FileJob, file_id: str, layout: Layout, audit: AuditLog, executions: Executions | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the claim this execution holds on the file, or None for a duplicate; the claim as found: for a
    duplicate, the one naming the execution that holds the file now)."""
    mine = audit_events.claim(
        fingerprint=file_id,
        file=job.key,
        version_id=job.version_id,
        at=job.at,
        execution=job.execution,
        **layout.fields(),
    )
    earlier = audit.append_first(mine)
    if earlier is None:
        return mine, mine
    holder = str(earlier.get("execution"))
    if holder == job.execution:  # a retried Prepare of the holder
        return earlier, earlier
    status = None if executions is None else _how_it_ended(job, file_id, earlier, audit, executions)
    if status is None or not may_take_over(status):
        return None, earlier
    # The run this one continues: its start time, its chunk layout and its file's name (a continued run writes
    # what the dead attempts wrote, whatever name the same bytes came back under).
    continued = {
        "at": earlier["at"],
        "file": earlier.get("file", job.key),
        "version_id": earlier.get("version_id", job.version_id),  # the run's source object: `runs retry` reads it
        **Layout.of(earlier, layout).fields(),
    }
    takeover = {**mine, **continued, "retry_of": {"execution": holder, "status": status}}
    if audit.take_over(takeover, holder):
        return takeover, earlier
    # Another re-upload took the claim over first: it, not the failed execution, is the holder to name.
    return None, audit.get(*audit_events.claim_key(file_id)) or earlier


def _how_it_ended(job: FileJob, file_id: str, claim: dict[str, Any], audit: AuditLog, executions: Executions) -> str:
    """The status of the claim holder's execution; when Step Functions no longer keeps it (90 days after it
    ended), SUCCEEDED if the audit log says its run completed the file, else GONE."""
    try:
        return executions.status(execution_arn(job.state_machine, str(claim["execution"])))
    except ExecutionNotFoundError:
        completed = audit.get(*audit_events.file_event_key(file_id, str(claim["at"]), EventKind.FILE_COMPLETED))
        return "SUCCEEDED" if completed else GONE
