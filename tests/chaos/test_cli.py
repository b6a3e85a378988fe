"""Chaos through the command line a user runs: `salesdq local run --faults SPEC --fault-seed N --json --out DIR`
in a process of its own. A run that fails exits 1 and says why; the summary says how many of each fault were
injected; what --out exports agrees with the oracle. The CLI waits Step Functions' Retry waits in full (it
has no test-speed setting), so these are the tier's slowest cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from salesdq.operators.follow import FileResult
from salesdq_engine import FAULT_NAMES, FaultPlan
from tests.e2e.helpers import TERMINAL, read_jsonl

from .checks import check_audit, check_orders, check_quarantine_queue, verify
from .oracle import Scenario, complete_file, scenario
from .runner import Attempt, ChaosRun, FileAttempts
from .settings import spec

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]


def _salesdq(files: list[Path], rates: dict[str, float], seed: int, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])  # this tree's salesdq
    command = ["local", "run", *map(str, files), "--faults", spec(rates), "--fault-seed", str(seed)]
    command += ["--json", "--out", str(out), "--chunk-records", "5", "--progress", "never"]
    return subprocess.run(
        [sys.executable, "-m", "salesdq", *command],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _exported(made: Scenario, rates: dict[str, float], seed: int, summary: dict[str, Any], out: Path) -> ChaosRun:
    """What --out holds, as a chaos run to check: the quarantine queue as exported (one message per id)."""
    return ChaosRun(
        scenario=made,
        plan=FaultPlan(rates=rates, seed=seed),
        files=[
            FileAttempts(file, [Attempt(FileResult(**result), paused=False)])
            for file, result in zip(made.files, summary["files"], strict=True)
        ],
        orders=read_jsonl(out / "orders.jsonl"),
        audit=read_jsonl(out / "audit.jsonl"),
        queued=[{"body": body, "sent_at_ms": 0} for body in read_jsonl(out / "quarantine.jsonl")],
        injected=summary["faults"]["injected"],
        elapsed_s=summary["elapsed_s"],
    )


def _run(tmp_path: Path, made: Scenario, rates: dict[str, float], seed: int) -> tuple[int, dict[str, Any], ChaosRun]:
    paths = [f.write(tmp_path) for f in made.files]
    out = tmp_path / "out"
    proc = _salesdq(paths, rates, seed, out)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert proc.stderr == ""  # the summary says what failed; moto's and Powertools' logs go to logs/engine.log
    summary: dict[str, Any] = json.loads(proc.stdout)  # the whole of stdout: one JSON document
    assert [f["file"] for f in summary["files"]] == [str(p) for p in paths]
    assert summary["faults"]["seed"] == seed and summary["faults"]["rates"] == rates
    assert set(summary["faults"]["injected"]) == set(FAULT_NAMES)
    return proc.returncode, summary, _exported(made, rates, seed, summary, out)


def test_a_run_that_fails_past_its_retries_exits_1_and_says_which_chunk_and_why(tmp_path: Path) -> None:
    """sqs-refused at rate 1: the file with quarantined records fails; the file without any completes."""
    troubled = scenario(21, files=1, records=(16, 16), chunk_records=5)
    made = Scenario(21, (*troubled.files, complete_file(21, 12)), chunk_records=5, max_partitions=64)
    rates = {"sqs-refused": 1.0}

    rc, summary, run = _run(tmp_path, made, rates, seed=3)

    assert rc == 1
    failed, completed = summary["files"]
    assert (failed["status"], completed["status"]) == ("failed", "completed")
    assert "failed after its retries: MessageRefusedError: SQS refused a message for good" in failed["reason"]
    assert failed["reason"].startswith(f"RunFailed: {made.files[0].key}: chunk "), failed["reason"]
    assert (summary["totals"]["failed"], summary["totals"]["completed"]) == (1, 1)
    # moto's Step Functions interpreter logs the failure with the state it failed in: in the engine's log
    assert "Error=ChunkFailed" in (tmp_path / "out" / "logs" / "engine.log").read_text(encoding="utf-8")
    injected = summary["faults"]["injected"]
    assert injected["sqs-refused"] >= 5  # the failed chunk's every attempt at least
    assert {name: n for name, n in injected.items() if n} == {"sqs-refused": injected["sqs-refused"]}

    # The completed file is exactly what a first run makes of it ...
    complete_only = Scenario(21, (made.files[1],), chunk_records=5, max_partitions=64)
    clean = _exported(complete_only, rates, 3, {**summary, "files": [completed]}, tmp_path / "out")
    clean.orders = [o for o in clean.orders if str(o.get("_source", "")).startswith(made.files[1].file_id)]
    clean.audit = [e for e in clean.audit if e.get("file_id") == made.files[1].file_id]
    clean.queued = [m for m in clean.queued if m["body"].get("file_id") == made.files[1].file_id]
    assert not check_orders(clean) and not check_audit(clean) and not check_quarantine_queue(clean)
    # ... and of the failed one, whatever was written is right: no transient fault became an outcome.
    expectation = made.expectations[0]
    for event in (e for e in run.audit if e.get("event") in TERMINAL and e["file_id"] == made.files[0].file_id):
        want = expectation.outcomes[int(event["index"])]
        got = {(r["field"], r["rule"]) for r in event["reasons"]}
        assert (event["outcome"], got) == (want.outcome, want.reasons), event
    for body in (m["body"] for m in run.queued if m["body"]["file_id"] == made.files[0].file_id):
        assert {(r["field"], r["rule"]) for r in body["reasons"]} == expectation.by_quarantine_id[body["id"]], body


def test_a_mix_that_every_run_survives_exits_0_and_counts_what_it_injected(tmp_path: Path) -> None:
    made = scenario(22, files=3, records=(16, 24), chunk_records=5)
    rates = {"sqs-failed": 0.3, "ddb-unprocessed": 0.3, "event-duplicate": 1.0}

    rc, summary, run = _run(tmp_path, made, rates, seed=5)

    assert rc == 0, summary["files"]
    verify(run, claims=False)  # --out exports no claims
    injected = summary["faults"]["injected"]
    assert injected["event-duplicate"] == len(made.files)  # every upload delivered twice, each counted once
    assert injected["sqs-failed"] > 0 and injected["ddb-unprocessed"] > 0
    assert summary["totals"]["completed"] == len(made.files) and summary["totals"]["duplicate"] == 0
