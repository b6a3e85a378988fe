"""A contract's warnings and file-level rules through the real workflow on the embedded engine
(docs/contracts.md#severity, docs/contracts.md#file-level-rules): the functions judge by the contract published,
and `report`, `runs` and `audit verify` say what the run did. Every
expected count comes from the generated input."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from salesdq.cli import main
from salesdq.local.run import stack_of
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from salesdq_engine.lambda_runtime import RoutedStdout

from .helpers import order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

CONTRACTS = Path(__file__).parents[1] / "data" / "contracts"


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with Engine(retry_wait_scale=0.01) as running:
        for command in ("report", "runs", "audit", "contract"):
            monkeypatch.setattr(f"salesdq.cli.{command}.stack_ref", lambda args: stack_of(running))
        monkeypatch.setattr(sys, "stdout", RoutedStdout(sys.stdout, running.lambdas.logs))
        yield running


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    status = main([*args, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_a_record_failing_a_warning_rule_is_stored_and_report_counts_the_warning(engine, tmp_path, capsys):
    rng = random.Random(31)
    kinds: dict[str, list[str]] = {"fine": [], "bad_email": [], "no_name": []}
    records = []
    for i in range(40):
        kind = rng.choice(sorted(kinds))
        record = order(f"W-{i}", email=rng.choice(["nobody", "a@localhost"]) if kind == "bad_email" else "a@b.co")
        if kind == "no_name":
            del record["contact-info"]["name"]
        records.append(record)
        kinds[kind].append(f"W-{i}")
    assert kinds["bad_email"] and kinds["no_name"]
    path = write_json(tmp_path, "warned.json", {"orders": records})
    assert main(["contract", "publish", str(CONTRACTS / "email-warning.odcs.yaml"), "--yes"]) == 0  # email: warning
    run = upload_and_follow(stack_of(engine), path, Progress())

    stored = len(kinds["fine"]) + len(kinds["bad_email"])
    assert (run.status, run.stored, run.quarantined) == ("completed", stored, len(kinds["no_name"]))
    orders = {item["OrderId"] for item in stack_of(engine).orders().scan()}
    assert orders == set(kinds["fine"]) | set(kinds["bad_email"])

    status, report = _json(capsys, "report")
    assert status == 0
    assert report["warnings"] == [
        {"rule": "email", "count": len(kinds["bad_email"]), "share": round(len(kinds["bad_email"]) / 40, 4)}
    ]
    assert report["failures"]["by_rule"][0]["rule"] == "missing"
    assert [r["rule"] for r in report["failures"]["by_rule"]] == ["missing"]  # the warnings are no failures
    assert report["files"][0]["warnings"] == len(kinds["bad_email"])
    capsys.readouterr()
    assert main(["report"]) == 0
    words = capsys.readouterr().out
    assert "Warnings by rule" in words
    assert any(line.split()[:2] == ["email", str(len(kinds["bad_email"]))] for line in words.splitlines())
    status, verified = _json(capsys, "audit", "verify")
    assert status == 0, verified


def test_a_row_count_error_rule_rejects_a_too_small_file_and_report_and_runs_say_so(engine, tmp_path, capsys):
    records = [order(f"S-{i}") for i in range(5)]  # min-rows: enough_rows, rowCount mustBeGreaterThan 10, error
    path = write_json(tmp_path, "small.json", {"orders": records})
    assert main(["contract", "publish", str(CONTRACTS / "min-rows.odcs.yaml"), "--yes"]) == 0
    run = upload_and_follow(stack_of(engine), path, Progress())

    reason = f"rejected by rule enough_rows: {len(records)} records; records must be more than 10"
    assert (run.status, run.stored, run.reason) == ("completed", len(records), reason)
    status, runs = _json(capsys, "runs")
    assert status == 0
    assert [(r["status"], r["verdict"], r["reason"]) for r in runs] == [("completed", "rejected", reason)]

    status, report = _json(capsys, "report")
    (entry,) = report["files"]
    assert (entry["verdict"], entry["reason"], entry["stored"]) == ("rejected", reason, len(records))
    assert entry["file_rules"] == [
        {"rule": "enough_rows", "metric": "rowCount", "severity": "error", "value": float(len(records)),
         "unit": "rows", "expected": "mustBeGreaterThan 10", "passed": False},
    ]  # fmt: skip
    assert [(a["kind"], a["reason"]) for a in report["alerts"]] == [("rule", reason)]
    # the records keep their outcomes, so the projections are what the log says
    status, verified = _json(capsys, "audit", "verify")
    assert status == 0, verified
