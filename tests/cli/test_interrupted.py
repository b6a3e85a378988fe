"""What a user sees when a run goes wrong under them: Ctrl-C (a real SIGINT to a process of its own) and a file
whose upload starts no execution. One line on stderr that says what became of the work, never a traceback or
the engine's state; the other files' summaries kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from salesdq import resources
from salesdq.local.run import local_run
from salesdq.operators import follow
from salesdq.operators.progress import Progress
from tests.e2e.helpers import local_up, order, salesdq, write_json

REPO = Path(__file__).resolve().parents[2]
RECORDS = 3_000  # enough that the run is still going when the signal comes


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])  # this tree's salesdq
    return env


def _interrupt(process: subprocess.Popen[str], started: object) -> tuple[int, str, str]:
    """SIGINT once `started()` says the work is under way; the exit status and what the process printed."""
    deadline = time.monotonic() + 120
    while not started():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the work never started"
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_ctrl_c_in_local_run_says_the_work_is_gone_in_one_line_and_exits_130(tmp_path: Path) -> None:
    sales = write_json(tmp_path, "sales.json", [order(str(i)) for i in range(RECORDS)])
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "salesdq", "local", "run", str(sales), "--out", str(out), "--progress", "never"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # A Lambda has logged: the engine is up and the run under way.
    status, stdout, stderr = _interrupt(process, lambda: any((out / "logs").glob("salesdq-*.log")))

    assert (status, stdout) == (130, "")
    assert stderr.splitlines() == [
        "salesdq: interrupted: the embedded engine stopped, and the run's work went with it (what --out holds is "
        "partial)"
    ]
    assert not (out / "summary.json").exists()


def test_ctrl_c_in_upload_wait_says_the_run_goes_on_and_runs_shows_it(tmp_path: Path) -> None:
    sales = write_json(tmp_path, "big.json", [order(f"B{i}") for i in range(RECORDS * 4)])
    with local_up() as env:
        process = subprocess.Popen(
            [sys.executable, "-m", "salesdq", "upload", str(sales), "--wait", "--progress", "never"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Once the file is in the bucket the command is following its run: interrupt it then (polling `salesdq
        # runs` in a process of its own each time was slow enough for the run to end first).
        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        key = f"{resources.INCOMING_PREFIX}{sales.name}"

        def uploaded() -> bool:
            listed = s3.list_objects_v2(Bucket=resources.INBOX_BUCKET, Prefix=key).get("Contents", [])
            return any(o["Key"] == key for o in listed)

        status, stdout, stderr = _interrupt(process, uploaded)

        assert (status, stdout) == (130, "")
        assert stderr.splitlines() == [
            "salesdq: interrupted: each file uploaded before it goes on through the workflow on the stack: "
            "`salesdq runs` shows it"
        ]
        # ... and it does: the run finishes without the command that started it, every record accounted.
        deadline = time.monotonic() + 600  # a hang guard, not a timing: 6,000 records on a loaded 2-core machine
        while True:
            (run,) = [r for r in json.loads(salesdq(env, "runs", "--json").stdout) if r["file"].endswith("big.json")]
            if run["status"] != "running" or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert (run["status"], run["records"], run["stored"]) == ("completed", RECORDS * 4, RECORDS * 4)


def test_a_file_whose_upload_starts_no_execution_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key with a newline matches no EventBridge rule on the engine (the command line refuses such a name; the
    function it calls is here called past that check): that file fails, the others are summarized."""
    monkeypatch.setattr(follow, "FIND_TIMEOUT_S", 3.0)
    first = write_json(tmp_path, "first.json", [order("1"), order("2")])
    lost = write_json(tmp_path, "two\nlines.json", [order("3")])
    last = write_json(tmp_path, "last.json", [order("4")])

    summary = local_run([first, lost, last], out=None, progress=Progress())

    rows = [(f["file"], f["status"], f["records"], f["stored"]) for f in summary["files"]]
    assert rows == [(str(first), "completed", 2, 2), (str(lost), "failed", 0, 0), (str(last), "completed", 1, 1)]
    assert (
        "two\nlines.json: the upload to incoming/two\nlines.json started no workflow execution"
        in (summary["files"][1]["reason"])
    )
    assert (summary["totals"]["completed"], summary["totals"]["failed"]) == (2, 1)
