"""Fixtures of the IAM tier: the synthesized template's policies, and what the stack's principals call in a
representative run on the embedded engine (an upload, a redrive, a replay), as salesdq_engine.call_record
records it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from cdk import app as cdk_app
from salesdq import resources
from salesdq.local.run import stack_of
from salesdq.operators import publish, quarantine, redrive, replay_file
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, FaultPlan, call_record
from scripts.iam_policies import Template
from services.contract import DEFAULT_PATH, from_text
from tests.e2e.helpers import order, write_json

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

MOCK_DATA = resources.ROOT / "mock-data.json"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    _, raw = cdk_app.synth_unbundled(tmp_path_factory.mktemp("cdk.out"))
    return Template(raw)


def record_calls(path: Path, work: Path) -> None:
    """The run recorded: mock-data.json uploaded and followed to its end; a contract published (the runs after it
    read it); a redrive of two of its quarantined records, one fixed and one still invalid (the sweep runs at its
    end); a replay of the file. Then, on an
    engine where validate-chunk and finalize are always throttled, a file whose chunk fails (chunk-failed records it)
    and whose run fails (run-failed records it)."""
    saved = os.environ.get(call_record.ENV)
    os.environ[call_record.ENV] = str(path)
    try:
        with Engine(retry_wait_scale=0.01) as engine:
            stack = stack_of(engine)
            upload = shutil.copy(MOCK_DATA, work / MOCK_DATA.name)
            assert upload_and_follow(stack, Path(upload), Progress()).status == "completed"
            # a contract published (a rule renamed: no verdict changes): the runs after it read it by its key
            renamed = DEFAULT_PATH.read_text(encoding="utf-8").replace("- id: positive_whole", "- id: qty_whole")
            proposal = publish.propose(stack, from_text(renamed, "renamed"), renamed)
            assert publish.publish(stack, proposal, "iam")["status"] == "published"
            by_order = {item["order_id"]: item for item in quarantine.quarantined_items(stack)}
            corrections = [
                {"id": by_order["10"]["id"], "record": order("10"), "attempt": 1},
                {"id": by_order["23"]["id"], "record": order("23", email="still-not-an-email"), "attempt": 1},
            ]
            sent = redrive.send_corrections(stack, corrections)
            (batch,) = redrive.wait_for_batches(stack, sent, Progress())
            assert (batch.status, batch.stored, batch.quarantined) == ("completed", 1, 1)
            assert replay_file.replay(stack, MOCK_DATA.name, Progress())["status"] == "completed"
        throttled = frozenset({resources.VALIDATE_CHUNK.name, resources.FINALIZE.name})
        throttle = FaultPlan(rates={"lambda-throttle": 1.0}, functions=throttled)
        with Engine(faults=throttle, retry_wait_scale=0.01) as engine:
            failing = write_json(work, "failing.json", {"orders": [order("f1"), order("f2", qty=0)]})
            assert upload_and_follow(stack_of(engine), failing, Progress()).status == "failed"
    finally:
        if saved is None:
            os.environ.pop(call_record.ENV, None)
        else:
            os.environ[call_record.ENV] = saved


@pytest.fixture(scope="session")
def recorded_calls(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    work = tmp_path_factory.mktemp("iam-run")
    path = work / "calls.jsonl"
    record_calls(path, work)
    lines = dict.fromkeys(path.read_text(encoding="utf-8").splitlines())  # each engine records its own
    return [json.loads(line) for line in lines]
