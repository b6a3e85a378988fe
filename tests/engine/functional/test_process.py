"""Process settings: the engine collects garbage less often while it runs, and puts the process back after."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from salesdq_engine import process


def test_engine_collects_garbage_less_often_while_it_runs_and_restores_the_process_after():
    script = (
        "import gc, json, sys\nfrom salesdq_engine import Engine\n"
        "def settings():\n    return [gc.get_threshold(), sys.getswitchinterval()]\n"
        "before = settings()\nwith Engine():\n    during = settings()\nprint(json.dumps([before, during, settings()]))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, during, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert tuple(during[0]) == process.GC_THRESHOLDS != tuple(before[0])
    assert during[1] == pytest.approx(process.SWITCH_INTERVAL_S) != before[1]
    assert after == before


def test_a_frozen_heap_is_out_of_the_collector_s_walks_until_the_engine_stops():
    script = (
        "import gc, json\nfrom salesdq_engine import Engine\n"
        "with Engine() as engine:\n    before = gc.get_freeze_count()\n    engine.freeze_heap()\n"
        "    held = [[n] for n in range(1000)]\n    during = gc.get_freeze_count()\n"
        "    young = len(gc.get_objects(generation=0))\n"
        "print(json.dumps([before, during, young, gc.get_freeze_count()]))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, during, young, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert before == 0 and during > 10_000  # the engine's own objects, moto's backends among them
    assert young >= 1000  # what is made after the freeze is collected as before
    assert after == 0  # unfrozen at stop: a later engine's collections can free them


def test_a_heap_is_frozen_only_by_a_running_engine():
    import gc

    from salesdq_engine import Engine, EngineError

    with pytest.raises(EngineError, match="not running"):
        Engine().freeze_heap()
    assert gc.get_freeze_count() == 0
