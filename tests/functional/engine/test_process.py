"""Process settings: the engine collects garbage less often while it runs, and puts the process back after."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from salesdq.engine import process


def test_engine_collects_garbage_less_often_while_it_runs_and_restores_the_process_after():
    script = (
        "import gc, json, sys\nfrom salesdq.engine import Engine\n"
        "def settings():\n    return [gc.get_threshold(), sys.getswitchinterval()]\n"
        "before = settings()\nwith Engine():\n    during = settings()\nprint(json.dumps([before, during, settings()]))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, during, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert tuple(during[0]) == process.GC_THRESHOLDS != tuple(before[0])
    assert during[1] == pytest.approx(process.SWITCH_INTERVAL_S) != before[1]
    assert after == before
