"""A scenario run on one embedded engine under a fault plan, as a user runs it, and what the stores held after.

Each file is uploaded and followed by the production follower (salesdq.operators.follow.upload_and_follow),
and finished before the next is uploaded: every execution has ended (a doubly delivered upload's second one
too), so cross-file outcomes are those of the upload order. A run that ends `failed` is retried by uploading
the same bytes again, which continues the failed run: a bounded number of times with the faults still on,
then once with them paused, as AWS's faults pass.

Faults are injected only at the engine's API boundary (FaultPlan); nothing of salesdq is patched. The stores
are read afterwards from outside any invocation, so what is read is their true state.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesdq.local.run import stack_of
from salesdq.locate import StackRef
from salesdq.operators.follow import FileResult, upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, FaultPlan

from .oracle import Scenario, ScenarioFile

RETRY_WAIT_SCALE = 0.01  # Step Functions' Retry waits, 100 times shorter
FAULTED_RETRIES = 2  # re-uploads of a failed file with the faults still on, before the one with them paused
# An upload's run past its retries fails visibly well within this (the slowest case, a batch never done,
# takes about a minute); a run still going then is a retry loop that never ends.
UPLOAD_DEADLINE_S = 180.0


@dataclass(frozen=True)
class Attempt:
    """One upload of a file and what the follower reported of it."""

    result: FileResult
    paused: bool  # uploaded with the faults paused


@dataclass
class FileAttempts:
    file: ScenarioFile
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def final(self) -> FileResult:
        return self.attempts[-1].result


@dataclass
class ChaosRun:
    """What a scenario came to: every upload's result, and the stores' contents once every execution ended."""

    scenario: Scenario
    plan: FaultPlan
    files: list[FileAttempts]
    orders: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    queued: list[dict[str, Any]]  # every message in the quarantine queue, copies not collapsed: body, sent_at_ms, ...
    injected: dict[str, int]
    elapsed_s: float

    def attempts_of(self, file: ScenarioFile) -> FileAttempts:
        [found] = [f for f in self.files if f.file.file_id == file.file_id]
        return found

    def headline(self) -> str:
        faults = ", ".join(f"{k}={v}" for k, v in self.injected.items() if v) or "none"
        uploads = "; ".join(
            f"{f.file.name}: " + " -> ".join(a.result.status + (" (paused)" if a.paused else "") for a in f.attempts)
            for f in self.files
        )
        return f"seed {self.plan.seed}, injected {faults}; {uploads}"


def run_scenario(
    scenario: Scenario, plan: FaultPlan, directory: Path, *, faulted_retries: int = FAULTED_RETRIES
) -> ChaosRun:
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    engine = Engine(
        faults=plan,
        retry_wait_scale=RETRY_WAIT_SCALE,
        chunk_records=scenario.chunk_records,
        max_partitions=scenario.max_partitions,
        log_dir=directory / "logs",
    )
    with engine:
        stack = stack_of(engine)
        files = []
        for sales_file in scenario.files:
            path = sales_file.write(directory)
            tries = FileAttempts(sales_file)
            for _ in range(1 + faulted_retries):
                tries.attempts.append(Attempt(_upload(stack, path), paused=False))
                if tries.final.status != "failed":
                    break
            else:
                with engine.faults.paused():
                    tries.attempts.append(Attempt(_upload(stack, path), paused=True))
            files.append(tries)
        injected = engine.faults.injected()
        return ChaosRun(
            scenario=scenario,
            plan=plan,
            files=files,
            orders=list(stack.orders().scan()),
            audit=list(stack.audit().scan()),
            queued=stack.quarantine().peek(),
            injected=injected,
            elapsed_s=time.perf_counter() - started,
        )


def _upload(stack: StackRef, path: Path, deadline_s: float = UPLOAD_DEADLINE_S) -> FileResult:
    """upload_and_follow, and every execution ended; AssertionError if that takes past the deadline."""
    outcome: list[FileResult | BaseException] = []

    def follow() -> None:
        try:
            outcome.append(upload_and_follow(stack, path, Progress()))
            wait_until_quiet(stack, deadline_s)
        except BaseException as error:  # handed to the test's thread
            outcome.insert(0, error)

    worker = threading.Thread(target=follow, name=f"follow {path.name}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        raise AssertionError(f"{path.name}: the upload's run had not ended after {deadline_s:.0f} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def wait_until_quiet(stack: StackRef, timeout_s: float) -> None:
    """Until no execution of the workflow is running (a second delivery of an upload may still be)."""
    executions = stack.executions()
    begin = time.monotonic()
    while True:
        running = [a for a in executions.arns(stack.state_machine_arn) if executions.status(a) == "RUNNING"]
        if not running:
            return
        if time.monotonic() - begin > timeout_s:
            raise AssertionError(f"executions still running after {timeout_s:.0f} s: {running}")
        time.sleep(0.05)
