"""File runs as an operator sees them (`salesdq runs`), and retrying a failed one in place (`runs retry`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from salesdq import resources
from salesdq.errors import NotFoundError, OperationFailedError, UsageError
from salesdq.locate import StackRef
from services.audit.runs import ACCEPTED, FAILED, RunSummary, fold_runs
from services.dal.executions import ExecutionNotFoundError, execution_arn
from services.domain import audit_events
from services.ingest.claim import ENDED_UNFINISHED
from services.ingest.failures import execution_failure

STATUSES = ("completed", "failed", "running", "rejected", "duplicate")
RETRY_PREFIX = "retry-"


def file_runs(stack: StackRef, status: str | None = None) -> list[RunSummary]:
    """Every file run, oldest first; a run accepted and neither completed nor recorded failed is asked of Step
    Functions: still running, or ended (failed, timed out, stopped) without a record of it."""
    runs = fold_runs(stack.audit().scan(index=resources.AUDIT.indexes[0].name))
    executions = stack.executions()
    for run in runs:
        if run.status != ACCEPTED:
            continue
        try:
            description = executions.describe(execution_arn(stack.state_machine_arn, run.execution))
        except ExecutionNotFoundError:
            run.status, run.reason = FAILED, f"execution {run.execution} is no longer known to Step Functions"
            continue
        if description["status"] == "RUNNING":
            run.status = "running"
        elif description["status"] in ENDED_UNFINISHED:
            run.status, run.reason = FAILED, execution_failure(description)
    return [run for run in runs if status is None or run.status == status]


def find_run(runs: Sequence[RunSummary], name: str) -> RunSummary:
    """The latest run named by its file id (or a prefix of 8+ characters), file key or execution name."""
    found = [
        run
        for run in runs
        if run.file in resources.keys_named(name)
        or run.execution == name
        or (len(name) >= 8 and run.file_id.startswith(name))
    ]
    if not found:
        raise NotFoundError(f"no file run named {name!r}: `salesdq runs` lists them (a file id, key or execution)")
    return found[-1]


def retry(stack: StackRef, name: str) -> str:
    """Continue a failed run where it stopped: an execution started on the run's own file, as a re-upload of it
    would be (Prepare takes over the failed run's claim and continues it: done chunks are not redone, every
    record ends once). RedriveExecution would restart the failed execution at its Fail state, which only fails
    again: salesdq's runs end failed through RecordRunFailure, so the continuation is the retry on AWS and on
    the engine alike. Returns the new execution's ARN."""
    run = find_run(file_runs(stack), name)
    if run.status != FAILED:
        raise UsageError(f"{run.file} ({run.file_id[:12]}) is {run.status}, not failed: nothing to retry")
    claim = stack.audit().get(*audit_events.claim_key(run.file_id))
    if claim is None or str(claim.get("at")) != run.at:
        raise OperationFailedError(f"{run.file}: its claim has moved on to another run; upload the file again")
    uploaded = {"key": claim["file"], **({"version-id": claim["version_id"]} if claim.get("version_id") else {})}
    payload = json.dumps({"detail": {"bucket": {"name": stack.bucket}, "object": uploaded}})
    return stack.executions().start(stack.state_machine_arn, RETRY_PREFIX + uuid.uuid4().hex, payload)
