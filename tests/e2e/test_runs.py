"""`salesdq runs` lists file runs with their status, counts and reason; `runs retry` finishes a failed one where
it stopped, every record ending once, without the operator finding and uploading the file again."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from salesdq import resources
from salesdq.cli import main
from salesdq.errors import NotFoundError, OperationFailedError
from salesdq.local.run import export, stack_of
from salesdq.operators import runs
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, FaultPlan

from .helpers import TERMINAL, Oracle, Run, free_port, local_env, order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

RECORDS = [order(f"r{i}") if i % 5 else order(f"r{i}", qty=0) for i in range(40)]


def test_a_failed_run_is_listed_and_retried_to_completion_with_every_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # botocore's own retries of a throttle: brief, not ten
    path = write_json(tmp_path, "sales.json", {"orders": RECORDS})
    good = write_json(tmp_path, "good.json", {"orders": [order("g1")]})
    throttled = FaultPlan(rates={"ddb-throttle": 1.0}, functions=frozenset({resources.VALIDATE_CHUNK.name}))
    port = free_port()  # the engine serves its endpoint: `runs retry` is run as the command line runs it
    with Engine(faults=throttled, retry_wait_scale=0.01, chunk_records=8, port=port) as engine:
        stack = stack_of(engine)
        with engine.faults.paused():
            assert upload_and_follow(stack, good, Progress()).status == "completed"
        failed = upload_and_follow(stack, path, Progress())
        assert failed.status == "failed", failed

        listed = {run.run.file: run for run in runs.file_runs(stack)}
        assert listed["incoming/good.json"].status == "completed"
        run = listed["incoming/sales.json"]
        assert (run.status, run.records) == ("failed", len(RECORDS))
        assert "failed after its retries: ProvisionedThroughputExceededException" in str(run.reason)
        assert [r.run.file for r in runs.file_runs(stack, "failed")] == ["incoming/sales.json"]
        with pytest.raises(OperationFailedError, match="is completed, not failed"):
            runs.retry(stack, "incoming/good.json")
        with pytest.raises(NotFoundError, match="`salesdq runs` lists them"):
            runs.retry(stack, "nothing.json")

        for name, value in local_env(port).items():  # the operator's shell, once the stack is up
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        assert main(["runs", "retry", "good.json"]) == 1  # nothing to retry: not a usage error
        assert "salesdq: incoming/good.json " in capsys.readouterr().err
        with engine.faults.paused():
            capsys.readouterr()
            rc = main(["runs", "retry", run.run.file_id[:12], "--wait", "--json", "--progress", "never"])
            printed = capsys.readouterr()
            assert rc == 0, printed.err
            (retried,) = [SimpleNamespace(**f) for f in json.loads(printed.out)["files"]]
        assert rc == 0
        assert retried.file == run.run.file  # the file's name, not the id it was asked by
        expected = Counter(e.outcome for e in Oracle().run(RECORDS))
        assert (retried.status, retried.stored, retried.quarantined) == (
            "completed",
            expected["stored"],
            expected["quarantined"],
        )
        (after,) = [r for r in runs.file_runs(stack) if r.run.file_id == run.run.file_id]
        assert (after.status, after.run.id, after.retries, after.stored) == (
            "completed",
            run.run.id,
            1,
            expected["stored"],
        )
        exported = Run(0, {"files": []}, tmp_path / "out")
        export(engine, exported.out, exported.summary)

    terminal = [e for e in exported.audit if e.get("event") in TERMINAL and e["file_id"] == run.run.file_id]
    assert sorted(e["index"] for e in terminal) == list(range(len(RECORDS)))  # every record once, in one run
    assert {e["at"] for e in terminal} == {run.run.id}


def test_a_resolved_rejected_file_stays_a_rejected_run_and_is_never_a_failed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A truncated upload is rejected; `quarantine resolve` closes its file item. Once the resolution (keyed by when it
    was made) was folded as a run of its own, with no execution: `runs --status failed` listed `failed ...
    execution None is no longer known to Step Functions`, and `runs retry` could not clear it."""
    whole = json.dumps({"orders": RECORDS[:3]}).encode("utf-8")
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(whole[: len(whole) // 2])  # the input: one upload, a file that stops mid-record
    file_id = hashlib.sha256(truncated.read_bytes()).hexdigest()
    port = free_port()
    with Engine(port=port) as engine:
        rejected = upload_and_follow(stack_of(engine), truncated, Progress())
        assert rejected.status == "rejected", rejected
        for name, value in local_env(port).items():  # the operator's shell, once the stack is up
            monkeypatch.setenv(name, value)
        # a rejected file's quarantine id (services/domain/quarantine_message.py)
        item = f"file:{file_id}:{rejected.execution}"

        def salesdq(*argv: str) -> Any:
            capsys.readouterr()
            rc = main([*argv, "--json"])
            printed = capsys.readouterr()
            assert rc == 0, (argv, printed.err)
            return json.loads(printed.out)

        assert [done["id"] for done in salesdq("quarantine", "resolve", item)["resolved"]] == [item]
        listed = salesdq("runs")
        failed = salesdq("runs", "--status", "failed")
        with pytest.raises(OperationFailedError, match="is rejected, not failed"):
            runs.retry(stack_of(engine), file_id[:12])

    assert failed == [], f"a resolved rejected file is listed as a failed run: {failed}"
    [run] = listed  # one upload, one run
    assert (run["file_id"], run["status"], run["execution"]) == (file_id, "rejected", rejected.execution)
    assert "truncated" in run["reason"] and run["resolved"], run
