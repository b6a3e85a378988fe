"""`salesdq replay file`: a file's retained bytes (raw/<sha256>) run again under the active contract, as a
what-if that writes nothing (`--dry-run`) or as a new run of the ingest workflow that takes the file's claim
over (Prepare recognizes the replay mark its input carries)."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from salesdq.errors import NotFoundError, OperationFailedError
from salesdq.locate import StackRef
from salesdq.operators import runs as file_runs
from salesdq.operators.follow import result_of, wait_for
from salesdq.operators.progress import Progress
from salesdq.operators.run_summaries import COMPLETED, DUPLICATE, FAILED, REJECTED, RunSummary
from salesdq.operators.what_if import OutcomesMissingError, recorded_outcomes, what_if
from services.contract import CompiledContract
from services.contract.published import Contracts
from services.domain import redrive_batch
from services.domain.payloads import REPLAY_MARK, ChunkJob
from services.ingest.prepare import raw_key, retained_file

EXECUTION_PREFIX = "replay-"


def replayed_run(stack: StackRef, name: str) -> RunSummary:
    """The latest run that processed the file named (file key or name, file id or a unique prefix of 8+
    characters, execution: runs.runs_named); NotFoundError saying how to find one; a redrive batch refused."""
    every = file_runs.file_runs(stack)
    processed = [run for run in every if run.status not in (REJECTED, DUPLICATE)]
    try:
        run = file_runs.find_run(processed, name)
    except NotFoundError:
        if any(run.status == REJECTED for run in _matching(every, name)):
            raise NotFoundError(
                f"{name} was rejected: its bytes were never accepted, so there is nothing to replay"
            ) from None
        raise NotFoundError(
            f"no file run named {name!r}: `salesdq runs` lists the runs with their file ids (FILE ID, 8+ "
            "characters of it are enough) and file names"
        ) from None
    if redrive_batch.is_redrive(run.run.file):
        raise OperationFailedError(
            f"{run.run.file} is a redrive batch: its records are corrections of records quarantined in other files, "
            "each judged when it was redriven, so a batch is not replayed; replay the file a record came from "
            "(`salesdq replay file NAME`), or send a correction again with `salesdq redrive FILE`"
        )
    return run


def _matching(runs: list[RunSummary], name: str) -> list[RunSummary]:
    try:
        return [file_runs.find_run(runs, name)]
    except NotFoundError:
        return []


def _retained(stack: StackRef, run: RunSummary) -> tuple[str, int]:
    """The key and size of the run's retained bytes; NotFoundError when they are gone."""
    key = raw_key(run.run.file_id)
    size = stack.inbox().size(key)
    if size is None:
        raise NotFoundError(
            f"{run.run.file} ({run.run.file_id[:12]}): its retained bytes ({key}) are gone, so it cannot be replayed; "
            "upload the file again instead"
        )
    return key, size


def dry_run(stack: StackRef, name: str, judge: CompiledContract | None = None) -> dict[str, Any]:
    """What a replay would decide, record by record, against the run replayed; writes nothing. `judge`: the
    contract to judge by (a proposal: `--contract FILE`, `contract try`); None: the active one, as a replay's run
    would be."""
    judge = judge or Contracts(stack.contracts()).active()[1]
    run = replayed_run(stack, name)
    key, _ = _retained(stack, run)
    audit = stack.audit()
    try:
        then = recorded_outcomes(audit, run.run)
    except OutcomesMissingError as error:
        raise NotFoundError(f"{run.run.file}: {error}: nothing to compare a replay with") from None
    sales = retained_file(stack.inbox(), run.run)  # read as the run read it: its name says JSON Lines or JSON
    job = ChunkJob(run=run.run, partition=0, chunk=0, key=key)
    found = what_if(sales, job, then, stack.orders(), audit, stack.quarantined(), judge)
    return {
        "file": run.run.file,
        "file_id": run.run.file_id,
        "replays": run.run.id,
        "execution": run.run.execution,
        "dry_run": True,
        "contract": judge.version,
        "records": found.records,
        "then": found.then,
        "now": found.now,
        "changed": [change.as_dict() for change in found.changed],
    }


def replay(stack: StackRef, name: str, progress: Progress) -> dict[str, Any]:
    """Start the ingest workflow on the file's retained bytes as a replay of its latest run and follow it to
    its end: the follower's result, with `replay_of`."""
    run = replayed_run(stack, name)
    if run.status not in (COMPLETED, FAILED):
        raise OperationFailedError(
            f"{run.run.file} ({run.run.file_id[:12]}) is still running (execution {run.run.execution}): "
            "replay it once it ends"
        )
    if run.status == FAILED:
        raise OperationFailedError(
            f"{run.run.file} ({run.run.file_id[:12]}): its last run failed; finish it with `salesdq runs retry "
            f"{run.run.file_id[:12]}`, then replay it"
        )
    key, size = _retained(stack, run)
    replay_of = run.run.model_copy(update={"replay_of": None}).to_payload()  # the run replayed, as it travels
    uploaded = {"key": key, "size": size, REPLAY_MARK: replay_of}
    payload = json.dumps({"detail": {"bucket": {"name": stack.bucket}, "object": uploaded}})
    executions = stack.executions()
    arn = executions.start(stack.state_machine_arn, EXECUTION_PREFIX + uuid.uuid4().hex, payload)
    result = result_of(run.run.file, wait_for(executions, arn, progress, label=run.run.file.rsplit("/", 1)[-1]))
    return asdict(result) | {"file_id": run.run.file_id, "replay_of": replay_of}
