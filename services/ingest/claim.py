"""A file's claim: the first execution to see a file's bytes (its sha256) holds the claim, and every other
delivery of the same bytes is a duplicate, unless the holder ended without finishing the file; then a
re-upload takes the claim over and continues that run.

S3 -> EventBridge delivers at least once, so a claim held by a running (or succeeded) execution makes a
duplicate. One held by an execution that ended unfinished passes to the new one, by a write conditional on
that execution still holding it: of two re-uploads at once, one wins and the other is a duplicate.

EventBridge may deliver one upload's event twice. A write's event names it by its key and S3 sequencer, the same
on every delivery: the first execution to see them answers for the upload (`answering`), and any other is
told so, writing nothing, whatever that one made of the file (claimed it, or a duplicate). The same bytes
written again have another sequencer: a duplicate, as above. An event without a sequencer is taken as a
new upload.

A replay (`salesdq replay file`) is a new run of the bytes, with its own `at`: it takes the claim over from any
execution that has ended, succeeded or not, by the same conditional write, keeping the file's first name.
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


def answering(job: FileJob, file_id: str, audit: AuditLog) -> str | None:
    """The execution that answers for this execution's upload when another delivery of its event started it
    first; None when this one does, or the event does not name its write (no sequencer: a replay, a retry)."""
    if job.sequencer is None:
        return None
    mine = audit_events.upload_claim(file_id=file_id, key=job.key, sequencer=job.sequencer, execution=job.run.execution)
    earlier = audit.append_first(mine)
    first = None if earlier is None else str(earlier.get("execution"))
    return None if first in (None, job.run.execution) else first  # the same execution: its Prepare retried


def claim(
    job: FileJob, file_id: str, layout: Layout, audit: AuditLog, executions: Executions | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the claim this execution holds on the file, or None for a duplicate; the claim as found: for a
    duplicate, the one naming the execution that holds the file now)."""
    replayed = job.run.replay_of
    run = job.run.model_copy(update={"file_id": file_id, "file": job.name})  # a replay keeps the file's first name
    mine = audit_events.claim(run=run, version_id=job.version_id, **layout.fields())
    earlier = audit.append_first(mine)
    if earlier is None:
        return mine, mine
    holder = str(earlier.get("execution"))
    if holder == job.run.execution:  # a retried Prepare of the holder
        return earlier, earlier
    status = None if executions is None else _how_it_ended(job, file_id, earlier, audit, executions)
    if replayed:
        return _replay(mine, earlier, holder, status, audit)
    if status is None or not may_take_over(status):
        return None, earlier
    # The run this one continues: its start time, its chunk layout and its file's name (a continued run writes
    # what the dead attempts wrote, whatever name the same bytes came back under).
    continued = {
        "at": earlier["at"],
        "file": earlier.get("file", job.key),
        "version_id": earlier.get("version_id", job.version_id),  # the run's source object: `runs retry` reads it
        **Layout.of(earlier, layout).fields(),
        **({"replay_of": earlier["replay_of"]} if earlier.get("replay_of") else {}),  # a failed replay goes on as one
        **({"contract": earlier["contract"]} if earlier.get("contract") else {}),  # and under its own contract
    }
    takeover = {**mine, **continued, "retry_of": {"execution": holder, "status": status}}
    if audit.take_over(takeover, holder):
        return takeover, earlier
    # Another re-upload took the claim over first: it, not the failed execution, is the holder to name.
    return None, audit.get(*audit_events.claim_key(file_id)) or earlier


def _replay(
    mine: dict[str, Any], earlier: dict[str, Any], holder: str, status: str | None, audit: AuditLog
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A replay takes the claim over once its holder has ended (a new run: its own `at` and layout), keeping the
    file's first name and source version for its records and for `runs retry`; None while the holder runs."""
    if status is None or not (status == "SUCCEEDED" or may_take_over(status)):
        return None, earlier
    takeover = {**mine, "file": earlier.get("file", mine["file"]), "version_id": earlier.get("version_id")}
    if audit.take_over(takeover, holder):
        return takeover, earlier
    return None, audit.get(*audit_events.claim_key(str(mine["file_id"]))) or earlier


def _how_it_ended(job: FileJob, file_id: str, claim: dict[str, Any], audit: AuditLog, executions: Executions) -> str:
    """The status of the claim holder's execution; when Step Functions no longer keeps it (90 days after it
    ended), SUCCEEDED if the audit log says its run completed the file, else GONE."""
    try:
        return executions.status(execution_arn(job.state_machine, str(claim["execution"])))
    except ExecutionNotFoundError:
        completed = audit.get(*audit_events.file_event_key(file_id, str(claim["at"]), EventKind.FILE_COMPLETED))
        return "SUCCEEDED" if completed else GONE
