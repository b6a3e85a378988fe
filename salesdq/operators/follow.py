"""Upload a file to the inbox and follow the workflow execution it starts, on AWS or the embedded engine."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesdq import resources
from salesdq.errors import FollowError
from salesdq.locate import StackRef
from salesdq.operators.progress import Progress, RecordsDone, fingerprint
from services.dal.executions import Executions, execution_arn
from services.ingest.failures import execution_failure

POLL_SECONDS = 0.05
STATUSES = ("completed", "rejected", "duplicate", "failed")
FIND_TIMEOUT_S = 120.0  # EventBridge delivers within seconds on AWS; the engine delivers at once


@dataclass
class FileResult:
    file: str
    status: str
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    execution: str | None = None
    contract: str | None = None  # the contract its run judged by (a completed run's)


def execution_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def result_of(file: str, description: dict[str, Any]) -> FileResult:
    """A finished execution's description -> what became of its file."""
    name = execution_name(description["executionArn"])
    if description["status"] != "SUCCEEDED":
        reason = execution_failure(description)  # bounded by failures.py
        return FileResult(file=file, status="failed", reason=reason, execution=name)
    output = json.loads(description.get("output") or "{}")
    status = output.get("status", "failed")
    reason = output.get("reason")
    if status == "duplicate":
        reason = f"same bytes as {output.get('duplicate_of')}"
    return FileResult(
        file=file,
        status=status,
        records=int(output.get("records", 0)) if status == "completed" else 0,
        stored=int(output.get("stored", 0)),
        duplicates=int(output.get("duplicates", 0)),
        quarantined=int(output.get("quarantined", 0)),
        reason=reason,
        execution=name,
        contract=output.get("contract"),
    )


def wait_for(
    executions: Executions,
    arn: str,
    progress: Progress,
    *,
    label: str | None = None,
    records: RecordsDone | None = None,
    note: Callable[[], str] | None = None,
    timeout_s: float = 24 * 3600,
) -> dict[str, Any]:
    """Poll the execution until it ends and return its description; FollowError past timeout_s."""
    label = label or execution_name(arn)
    begin = time.monotonic()
    while True:
        description = executions.describe(arn)
        if description["status"] != "RUNNING":
            progress.finish(label)
            return description
        if time.monotonic() - begin > timeout_s:
            raise FollowError(f"{arn} still running after {timeout_s:.0f} s")
        done, total = records.read() if records else (None, None)
        progress.update(label, done=done, total=total, note=note() if note else "")
        time.sleep(POLL_SECONDS)


@dataclass(frozen=True)
class Upload:
    """An object put in the inbox: the executions its event starts name this key and version."""

    key: str
    version_id: str | None

    def started(self, execution_input: str | None) -> bool:
        uploaded = json.loads(execution_input or "{}").get("detail", {}).get("object", {})
        if uploaded.get("key") != self.key:
            return False
        return self.version_id is None or uploaded.get("version-id") == self.version_id


def upload(stack: StackRef, path: Path) -> Upload:
    """Upload a file to incoming/ under its name (which starts the workflow)."""
    key = resources.INCOMING_PREFIX + path.name
    return Upload(key, stack.inbox().upload(path, key))


def upload_and_follow(
    stack: StackRef, path: Path, progress: Progress, note: Callable[[], str] | None = None
) -> FileResult:
    """Upload one file as a user would, find the execution its upload started, and wait for its outcome.

    EventBridge delivers at least once: one upload may start two executions, and the one that ends first can
    be the second delivery, `redelivered` (or, for an event without an S3 sequencer, a `duplicate`) naming the
    first as `holder`. The holder is then followed, so the result is the run that did the work, never a
    duplicate of itself."""
    executions = stack.executions()
    before = executions.arns(stack.state_machine_arn)
    uploaded = upload(stack, path)
    begin = time.monotonic()
    while True:
        for arn in executions.arns(stack.state_machine_arn) - before:
            if uploaded.started(executions.describe(arn).get("input")):
                return _follow(stack, executions, arn, uploaded, before, path, progress, note)
        if time.monotonic() - begin > FIND_TIMEOUT_S:
            raise FollowError(f"{path.name}: the upload to {uploaded.key} started no workflow execution")
        time.sleep(POLL_SECONDS * 4)


def upload_and_follow_each(
    stack: StackRef,
    paths: Sequence[Path],
    progress: Progress,
    note: Callable[[], str] | None = None,
    explain: Callable[[FollowError], str] = str,
) -> list[FileResult]:
    """upload_and_follow for each file in order. A file that cannot be followed (its upload started no
    execution) is a failed result, its reason what `explain` makes of the error: it does not take the other
    files' results with it."""
    results = []
    for path in paths:
        try:
            results.append(upload_and_follow(stack, path, progress, note))
        except FollowError as error:
            results.append(FileResult(file=str(path), status="failed", reason=explain(error)))
    return results


def _follow(
    stack: StackRef,
    executions: Executions,
    arn: str,
    uploaded: Upload,
    before: set[str],
    path: Path,
    progress: Progress,
    note: Callable[[], str] | None,
) -> FileResult:
    records = None
    if progress.wants_records:
        with path.open("rb") as stream:
            records = RecordsDone(stack.audit(), fingerprint(stream), execution_name(arn))
    description = wait_for(executions, arn, progress, label=path.name, records=records, note=note)
    holder = json.loads(description.get("output") or "{}").get("holder")
    if description["status"] == "SUCCEEDED" and holder and holder != execution_name(arn):
        holder_arn = execution_arn(stack.state_machine_arn, str(holder))
        if holder_arn not in before and uploaded.started(executions.describe(holder_arn).get("input")):
            return _follow(stack, executions, holder_arn, uploaded, before, path, progress, note)
    return result_of(str(path), description)


def totals(results: Sequence[FileResult]) -> dict[str, int]:
    summary = {
        "files": len(results),
        "records": sum(r.records for r in results),
        "stored": sum(r.stored for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "quarantined": sum(r.quarantined for r in results),
    }
    for status in STATUSES:
        summary[status] = sum(1 for r in results if r.status == status)
    return summary
