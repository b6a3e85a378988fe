"""The CLI as a user runs it: a separate process, stdout exactly one JSON document, the exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.contract import default

from .helpers import SAMPLE, write_bytes

pytestmark = pytest.mark.e2e


def _salesdq(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "salesdq", "local", "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_json_on_stdout_is_exactly_one_document_and_a_rejection_exits_1(tmp_path):
    bad = write_bytes(tmp_path, "bad.json", b'{"orders": "later"}')
    out = tmp_path / "out"

    # progress forced on: it must go to stderr, and Lambda logs to out/logs, never to stdout
    proc = _salesdq(str(SAMPLE), str(bad), "--json", "--out", str(out), "--progress", "always", cwd=tmp_path)

    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout)  # raises if anything but one JSON document is on stdout
    assert proc.stdout.lstrip().startswith("{") and proc.stdout.rstrip().endswith("}")
    assert [(f["status"], f["stored"], f["quarantined"]) for f in summary["files"]] == [
        ("completed", 52, 48),
        ("rejected", 0, 0),
    ]
    assert "not a list" in summary["files"][1]["reason"]
    assert set(summary) == {"files", "totals", "usage", "elapsed_s", "timings", "faults"}
    assert summary["faults"] is None  # none asked for: none injected
    for result in summary["files"]:
        assert set(result) == {
            "file",
            "status",
            "records",
            "stored",
            "duplicates",
            "quarantined",
            "reason",
            "execution",
            "contract",
        }
    assert summary["files"][0]["contract"] == default().version  # the contract that judged it: the shipped one
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    assert len((out / "orders.jsonl").read_text(encoding="utf-8").splitlines()) == 52
    assert any((out / "logs").iterdir())


def test_all_good_exits_0_and_a_usage_error_exits_2(tmp_path):
    ok = _salesdq(str(SAMPLE), "--json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["totals"]["stored"] == 52

    usage = _salesdq(str(tmp_path / "missing.json"), "--json", cwd=tmp_path)
    assert usage.returncode == 2
    assert usage.stdout == ""
    assert "no such file" in usage.stderr
