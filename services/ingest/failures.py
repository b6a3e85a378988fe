"""A run that fails says why. A chunk that failed past its retries records which chunk and what error (no
outcome of its records counts, and no later chunk of its partition runs); the run then fails with a reason
naming them, recorded as a `file.failed` event and given as the execution's cause. Never a stack trace."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob, RunFailure
from services.domain.run import Run
from services.ingest.finalize import committed

MAX_REASON_CHARS = 2000  # a Fail state's cause holds 32,768 characters; a reason is read by people
RETRY_HINT = "upload the file again to continue the run"


def describe_error(error: Mapping[str, Any] | None) -> str:
    """A caught error ({"Error", "Cause"} from a Catch) as `ErrorType: message`: a Lambda error's cause is a
    JSON document whose stack trace is dropped here."""
    if not isinstance(error, Mapping):
        return "unknown error"
    name = str(error.get("Error") or "Error")
    cause = error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and ("errorMessage" in parsed or "errorType" in parsed):
        cause = f"{parsed.get('errorType') or name}: {parsed.get('errorMessage', '')}".strip()
    elif cause:
        cause = f"{name}: {cause}"
    else:
        cause = name
    return str(cause)[:MAX_REASON_CHARS]


def with_hint(reason: str, hint: str) -> str:
    """A failed run's reason with `hint` in place of RETRY_HINT: the way out where uploading the file again is
    not one (`salesdq local run`, whose engine is gone once it exits)."""
    return reason.removesuffix(f" ({RETRY_HINT})") + f" ({hint})"


def execution_failure(description: Mapping[str, Any]) -> str:
    """Why an execution ended unfinished, from its DescribeExecution: its error and cause (a run's own Fail
    state's: one readable line), else its status (TIMED_OUT, ABORTED); what the follower and `runs` both say."""
    return describe_error(
        {"Error": description.get("error") or description["status"], "Cause": description.get("cause")}
    )


def record_chunk_failure(job: ChunkJob, error: Mapping[str, Any] | None, audit: AuditLog) -> str:
    reason = f"chunk {job.chunk} of partition {job.partition} ({job.key}) failed after its retries: " + (
        describe_error(error)
    )
    audit.append(
        [audit_events.chunk_failure(run=job.run, partition=job.partition, chunk=job.chunk, key=job.key, reason=reason)]
    )
    return reason


def end_run(failure: RunFailure, error: Mapping[str, Any] | None, audit: AuditLog) -> dict[str, Any]:
    """How a run that reached RecordRunFailure ends: `completed`, with its summary, if its commit point is in the
    log (its Finalize died after writing it: the run is done, and its execution succeeds with it); else `failed`,
    with the reason recorded (record_run_failure)."""
    summary = committed(failure.run, audit) if failure.run.file_id else None
    if summary is not None:
        return summary
    return {"status": "failed", "reason": record_run_failure(failure.run, error, audit)}


def record_run_failure(run: Run, error: Mapping[str, Any] | None, audit: AuditLog) -> str:
    """The run's reason: its failed chunks (this execution's), else the error that stopped it. A run whose
    Prepare failed has no fingerprint yet: its reason is the execution's cause alone."""
    failed = []
    if run.file_id:
        failed = [
            str(event["reason"])
            for event in audit.query(*audit_events.chunk_failure_prefix(run.file_id, run.id))
            if event.get("execution") == run.execution
        ]
    cause = "; ".join(failed) if failed else describe_error(error)
    reason = f"{run.file}: {cause}"[: MAX_REASON_CHARS - len(RETRY_HINT) - 3] + f" ({RETRY_HINT})"
    if not run.file_id:
        return reason
    audit.append(
        [audit_events.file_event(run=run, kind=EventKind.FILE_FAILED, reason=reason, failed_chunks=len(failed))]
    )
    return reason
