"""File runs as an operator sees them (`salesdq runs`), and retrying a failed one in place (`runs retry`)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence

from salesdq import resources
from salesdq.errors import NotFoundError, OperationFailedError, UsageError
from salesdq.locate import StackRef
from salesdq.operators.run_summaries import ACCEPTED, FAILED, RunSummary, fold_runs
from services.dal.executions import ExecutionNotFoundError, execution_arn
from services.domain import audit_events, redrive_batch
from services.ingest.claim import ENDED_UNFINISHED
from services.ingest.failures import execution_failure

STATUSES = ("completed", "failed", "running", "rejected", "duplicate")
RETRY_PREFIX = "retry-"
FILE_ID_LENGTH = 64  # a sha256 in hex
FILE_ID_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")  # a file id, or enough of it to name one: 8+ hex characters


def file_runs(stack: StackRef, status: str | None = None) -> list[RunSummary]:
    """Every file run, oldest first; a run accepted and neither completed nor recorded failed is asked of Step
    Functions: still running, or ended (failed, timed out, stopped) without a record of it."""
    runs = fold_runs(stack.audit().scan(index=resources.AUDIT.indexes[0].name))
    executions = stack.executions()
    for run in runs:
        if run.status != ACCEPTED:
            continue
        try:
            description = executions.describe(execution_arn(stack.state_machine_arn, run.run.execution))
        except ExecutionNotFoundError:
            run.status, run.reason = FAILED, f"execution {run.run.execution} is no longer known to Step Functions"
            continue
        if description["status"] == "RUNNING":
            run.status = "running"
        elif description["status"] in ENDED_UNFINISHED:
            run.status, run.reason = FAILED, execution_failure(description)
    return [run for run in runs if status is None or run.status == status]


def runs_named(runs: Sequence[RunSummary], name: str) -> list[RunSummary]:
    """The runs an operator's name for a file means, oldest first (as `runs` are given): its key, the name the
    tables show (the key without incoming/; `redrive batch <request id>` for a batch's run), an execution's name,
    or its file id or any prefix of 8+ hex characters of it (the short ids `runs`, the report and `replay file`
    print). The one resolver of every command that takes a file; empty when nothing matches; UsageError naming
    the candidates when a prefix starts more than one file id."""
    name = name.strip()
    batch = redrive_batch.key_named(name)  # a redrive batch's run, by the name `runs` shows
    keys = (batch,) if batch else resources.keys_named(name)
    prefix = name.lower()
    ids = (
        sorted({run.run.file_id for run in runs if run.run.file_id.startswith(prefix)})
        if FILE_ID_PREFIX.match(prefix)
        else []
    )
    if len(ids) > 1:
        names = ", ".join(f"{file_id[:16]} ({_file_of(runs, file_id)})" for file_id in ids)
        raise UsageError(f"{name!r} starts {len(ids)} file ids: {names}; give more of the one you mean")
    return [run for run in runs if run.run.file in keys or run.run.execution == name or run.run.file_id in ids]


def _file_of(runs: Sequence[RunSummary], file_id: str) -> str:
    return next(run.run.file for run in reversed(runs) if run.run.file_id == file_id)


def file_named(stack: StackRef, name: str) -> str:
    """What a `--file` filter matches, a file's key, name or id: a prefix of a file id resolved to the whole id
    (through the runs in the audit log: only a prefix is looked up), else `name` as given, stripped."""
    name = name.strip()
    if not FILE_ID_PREFIX.match(name.lower()):
        return name
    if len(name) == FILE_ID_LENGTH:
        return name.lower()
    found = runs_named(fold_runs(stack.audit().scan(index=resources.AUDIT.indexes[0].name)), name)
    return found[-1].run.file_id if found else name


def find_run(runs: Sequence[RunSummary], name: str) -> RunSummary:
    """The latest run named by its file id (or a unique prefix of 8+ characters), file key or execution name."""
    found = runs_named(runs, name)
    if not found:
        raise NotFoundError(f"no file run named {name!r}: `salesdq runs` lists them (a file id, key or execution)")
    return found[-1]


def retry(stack: StackRef, name: str) -> str:
    """`retry_run` of the latest run `name` names (find_run). Returns the new execution's ARN."""
    return retry_run(stack, find_run(file_runs(stack), name))


def retry_run(stack: StackRef, run: RunSummary) -> str:
    """Continue a failed run where it stopped: an execution started on the run's own file, as a re-upload of it
    would be (Prepare takes over the failed run's claim and continues it: done chunks are not redone, every
    record ends once). RedriveExecution would restart the failed execution at its Fail state, which only fails
    again: salesdq's runs end failed through RecordRunFailure, so the continuation is the retry on AWS and on
    the engine alike. A run that did not fail is refused (OperationFailedError: the command was right, there
    is nothing to do). Returns the new execution's ARN."""
    if run.status != FAILED:
        raise OperationFailedError(
            f"{run.run.file} ({run.run.file_id[:12]}) is {run.status}, not failed: nothing to retry"
        )
    claim = stack.audit().get(*audit_events.claim_key(run.run.file_id))
    if claim is None or str(claim.get("at")) != run.run.id:
        raise OperationFailedError(f"{run.run.file}: its claim has moved on to another run; upload the file again")
    uploaded = {"key": claim["file"], **({"version-id": claim["version_id"]} if claim.get("version_id") else {})}
    payload = json.dumps({"detail": {"bucket": {"name": stack.bucket}, "object": uploaded}})
    return stack.executions().start(stack.state_machine_arn, RETRY_PREFIX + uuid.uuid4().hex, payload)
