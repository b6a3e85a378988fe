"""The audit log as the source of truth: after uploads with every outcome kind, a rejected file, a duplicate
upload, a redrive and a failed run retried, `audit verify` finds no drift and `audit rebuild` writes exactly
what `local run --out` exports; after the orders table is changed behind salesdq's back, verify names exactly
what changed, repair restores what the log holds (each restore in the order's history) and leaves the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from salesdq import resources
from salesdq.cli import output
from salesdq.local.run import export, stack_of
from salesdq.operators import audit, redrive, replay_file, runs
from salesdq.operators.follow import result_of, upload_and_follow, wait_for
from salesdq.operators.history import order_history
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, FaultPlan
from services.dal._dynamo import from_item, to_item

from .helpers import MOCK_DATA, judge, local_up, order, write_bytes, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

FIRST = [
    order("1"),
    order("2", qty=0),  # quarantined: positive_whole
    order("3", email="nope"),  # quarantined, then redriven and stored
    order("4"),
    order("4"),  # duplicate in the file
    order("5", qty=3),
]
SECOND = [
    order("1"),  # duplicate of the first file's
    order("5", qty=4),  # conflict
    order("6", name="x" * 10),
    {"order-info": {"OrderId": "7", "item-id": "I", "qty": 1}},  # missing contact-info
]
FAILED = [order(f"f{i}") if i % 4 else order(f"f{i}", qty=-1) for i in range(24)]


def _tables(engine: Engine) -> tuple[Any, str]:
    stack = stack_of(engine)
    return stack.client("dynamodb"), stack.orders_table


def _populate(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every outcome kind, a rejected file, a duplicate upload, a redrive, a failed run and its retry."""
    stack = stack_of(engine)
    progress = Progress()
    first = write_json(tmp_path, "first.json", {"orders": FIRST})
    with engine.faults.paused():
        assert upload_and_follow(stack, first, progress).status == "completed"
        assert upload_and_follow(stack, write_json(tmp_path, "second.json", {"orders": SECOND}), progress).quarantined
        assert upload_and_follow(stack, write_json(tmp_path, "again.json", {"orders": FIRST}), progress).status == (
            "duplicate"
        )
        assert upload_and_follow(stack, write_bytes(tmp_path, "broken.json", b"{not json"), progress).status == (
            "rejected"
        )
        corrections = [
            {"id": b["id"], "record": order("3"), "attempt": 1}
            for b in (json.loads(i["body_json"]) for i in stack.quarantined().items())
            if b.get("order_id") == "3"
        ]
        (batch,) = redrive.wait_for_batches(stack, redrive.send_corrections(stack, corrections), progress)
        assert batch.stored == 1
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    failed = upload_and_follow(stack, write_json(tmp_path, "failing.json", {"orders": FAILED}), progress)
    assert failed.status == "failed"
    with engine.faults.paused():
        arn = runs.retry(stack, "incoming/failing.json")
        assert result_of(failed.file, wait_for(stack.executions(), arn, progress)).status == "completed"


def test_the_log_rebuilds_what_the_stores_hold_and_repairs_what_was_changed_behind_its_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttled = FaultPlan(rates={"ddb-throttle": 1.0}, functions=frozenset({resources.VALIDATE_CHUNK.name}))
    with Engine(faults=throttled, retry_wait_scale=0.01, chunk_records=8) as engine:
        _populate(engine, tmp_path, monkeypatch)
        stack = stack_of(engine)
        found = audit.verify(stack)
        assert not found.drift, found.as_dict()
        assert (
            found.orders.expected == found.orders.actual == 3 + 1 + 18 + 1
        )  # 1, 4, 5; 6; the f* of qty > 0; the redriven 3
        exported, rebuilt = tmp_path / "exported", tmp_path / "rebuilt"
        export(engine, exported, {})
        written = audit.rebuild(stack, rebuilt)
        for name in ("orders.jsonl", "quarantine.jsonl"):
            assert (rebuilt / name).read_bytes() == (exported / name).read_bytes(), name
        exported_lines = (exported / "quarantine.jsonl").read_text().splitlines()
        assert written["quarantine"] == len(exported_lines) == 1 + 2 + 6 + 1  # 2; 5, 7 of the second; f*; broken
        files = [json.loads(line) for line in (rebuilt / "files.jsonl").read_text().splitlines()]
        by_file = {(Path(f["file"]).name, f["status"]) for f in files}
        assert by_file >= {("first.json", "completed"), ("second.json", "completed"), ("failing.json", "completed")}
        assert ("broken.json", "rejected") in by_file and ("again.json", "duplicate") in by_file

        client, table = _tables(engine)
        client.delete_item(TableName=table, Key={"OrderId": {"S": "1"}})
        changed = from_item(client.get_item(TableName=table, Key={"OrderId": {"S": "4"}})["Item"])
        client.put_item(TableName=table, Item=to_item(changed | {"order-info": {**changed["order-info"], "qty": 99}}))
        client.put_item(TableName=table, Item=to_item({"OrderId": "999", "note": "not from salesdq"}))

        tampered = audit.verify(stack).as_dict()
        assert tampered["drift"] is True
        assert (tampered["orders"]["missing"], tampered["orders"]["changed"], tampered["orders"]["extra"]) == (
            ["1"],
            ["4"],
            ["999"],
        )
        assert tampered["quarantine"] == found.quarantine.as_dict()  # the quarantine untouched

        plan = audit.repair(stack, apply=False)
        assert plan.as_dict()["restore"] == ["1", "4"] and plan.restored == []
        assert audit.verify(stack).as_dict() == tampered  # a plan writes nothing
        done = audit.repair(stack, apply=True, at="2030-01-01T00:00:00.000000Z")
        assert done.restored == ["1", "4"]
        after = audit.verify(stack).as_dict()
        assert after["orders"] == {"expected": 23, "actual": 24, "missing": [], "extra": ["999"], "changed": []}
        exported_orders = {
            o["OrderId"]: o for o in map(json.loads, (exported / "orders.jsonl").read_text().splitlines())
        }
        assert json.loads(json.dumps(stack.orders().get("4"), default=int)) == exported_orders["4"]

        history = order_history(stack, "4")
        assert [e["event"] for e in history][-1] == "order.repaired"
        repaired = history[-1]
        assert json.loads(repaired["before_json"])["order-info"]["qty"] == 99  # what was there before
        assert [e["event"] for e in order_history(stack, "1")][-1] == "order.repaired"
        assert "before_json" not in order_history(stack, "1")[-1]  # nothing was there
        assert not audit.verify(stack, audit.folded(stack)).orders.changed  # the repaired event folds to nothing


def test_the_audit_commands_on_local_up(tmp_path: Path) -> None:
    """The commands as an operator runs them, against `salesdq local up`: exit 1 on drift, the JSON documents
    the issue names, and repair --yes leaving only what the log does not know."""
    path = write_json(tmp_path, "day.json", {"orders": [order("a1"), order("a2"), order("a3", qty=0)]})
    with local_up() as env:

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "salesdq", *args]
            return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

        assert cli("upload", str(path), "--wait", "--progress", "never").returncode == 0
        clean = cli("audit", "verify", "--json")
        assert clean.returncode == 0, clean.stderr
        assert json.loads(clean.stdout) == {
            "drift": False,
            "orders": {"expected": 2, "actual": 2, "missing": [], "extra": [], "changed": []},
            "quarantine": {"expected": 1, "actual": 1, "missing": [], "extra": [], "changed": []},
            "held": [],
        }
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        table = resources.ORDERS.name
        dynamodb.delete_item(TableName=table, Key={"OrderId": {"S": "a1"}})
        dynamodb.put_item(TableName=table, Item={"OrderId": {"S": "zz"}})
        drifted = cli("audit", "verify")
        assert drifted.returncode == 1
        assert "orders missing: a1" in drifted.stdout and "orders extra: zz" in drifted.stdout

        plan = cli("audit", "repair")
        assert plan.returncode == 0 and "would restore 1 orders: a1 (--yes writes them)" in plan.stdout
        done = json.loads(cli("audit", "repair", "--yes", "--json").stdout)
        assert (done["applied"], done["restored"], done["left"]["extra"]) == (True, ["a1"], ["zz"])
        again = json.loads(cli("audit", "verify", "--json").stdout)
        assert again["drift"] is True and again["orders"]["extra"] == ["zz"] and not again["orders"]["missing"]

        rebuilt = cli("audit", "rebuild", "--out", str(tmp_path / "rebuilt"), "--json")
        assert json.loads(rebuilt.stdout) | {"out": None} == {"out": None, "orders": 2, "quarantine": 1, "files": 1}
        assert cli("audit").returncode == cli("replay").returncode == 2  # a subcommand is required


def test_a_replay_of_mock_data_leaves_verify_clean_and_rebuild_equal_to_the_stores(tmp_path: Path) -> None:
    """Issue 22, item 1: `replay file mock-data.json` made verify report every quarantined item `changed`."""
    records = json.loads(MOCK_DATA.read_text())
    records = records["orders"] if isinstance(records, dict) else records
    with Engine(retry_wait_scale=0.01) as engine:
        stack = stack_of(engine)
        first = upload_and_follow(stack, MOCK_DATA, Progress())
        assert first.quarantined >= sum(1 for r in records if judge(r).reasons)  # conflicts add to the invalid
        assert not audit.verify(stack).drift
        again = replay_file.replay(stack, MOCK_DATA.name, Progress())
        assert (again["status"], again["quarantined"]) == ("completed", first.quarantined)
        found = audit.verify(stack)
        assert not found.drift, found.as_dict()
        assert found.quarantine.expected == found.quarantine.actual == first.quarantined
        exported, rebuilt = tmp_path / "exported", tmp_path / "rebuilt"
        export(engine, exported, {})
        audit.rebuild(stack, rebuilt)
        for name in ("orders.jsonl", "quarantine.jsonl"):
            assert (rebuilt / name).read_bytes() == (exported / name).read_bytes(), name


def test_verify_says_what_a_failed_run_holds_and_does_not_count_it_as_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22, item 6: after a failed run, verify listed the run's stored orders as `extra ... the audit log
    does not know`, exit 1, without saying that the failed run holds them. Every chunk here stores its orders,
    then has its quarantine message refused for good (so no record event is written) and the run fails."""
    refused = FaultPlan(rates={"sqs-refused": 1.0}, functions=frozenset({resources.VALIDATE_CHUNK.name}))
    valid = {judge(r).order_id for r in FAILED if not judge(r).reasons}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    with Engine(faults=refused, retry_wait_scale=0.01, chunk_records=8) as engine:
        stack = stack_of(engine)
        progress = Progress()
        failed = upload_and_follow(stack, write_json(tmp_path, "failing.json", {"orders": FAILED}), progress)
        assert failed.status == "failed"
        stored = {str(o["OrderId"]) for o in stack.orders().scan()}
        assert stored and stored <= valid  # written before the run failed
        found = audit.verify(stack)
        assert not found.drift, found.as_dict()
        (held,) = found.as_dict()["held"]
        file_id = runs.file_runs(stack)[0].run.file_id
        assert (held["file"], held["file_id"], held["status"]) == ("incoming/failing.json", file_id, "failed")
        assert set(held["orders"]) == stored and found.orders.extra == []
        output.print_verification(found.as_dict())
        text = capsys.readouterr().out
        assert "orders held by the failed run of incoming/failing.json" in text
        assert f"salesdq runs retry {file_id[:12]}" in text and "no drift" in text

        with engine.faults.paused():
            arn = runs.retry(stack, "incoming/failing.json")
            assert result_of(failed.file, wait_for(stack.executions(), arn, progress)).status == "completed"
        done = audit.verify(stack)
        assert not done.drift and done.held == [] and done.orders.expected == done.orders.actual == len(valid)
