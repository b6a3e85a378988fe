"""`salesdq contract try`: a file already received, judged again under a proposed contract on the embedded engine
(the real workflow ran it under the default contract first). The records that would change are counted from the
generated input, never from salesdq's output; nothing is written."""

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

PROPOSAL = Path(__file__).parents[1] / "data" / "contracts" / "proposal-email-relaxed-qty-100.odcs.yaml"
KINDS = ("fine", "big_qty", "bad_email", "both", "no_name")


def mixed(count: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Records of known kinds, each with its own order id: (records, order ids by kind)."""
    rng = random.Random(seed)
    records, kinds = [], {kind: [] for kind in KINDS}
    for i in range(count):
        kind = rng.choice(KINDS)
        qty = rng.randint(101, 500) if kind in ("big_qty", "both") else rng.randint(1, 100)
        email = rng.choice(["nobody", "a@localhost", "x@"]) if kind in ("bad_email", "both") else "ada@example.com"
        record = order(f"T-{i}", qty=qty, email=email)
        if kind == "no_name":
            del record["contact-info"]["name"]
        records.append(record)
        kinds[kind].append(f"T-{i}")
    return records, kinds


@pytest.fixture
def engine() -> Iterator[Engine]:
    with Engine(retry_wait_scale=0.01) as running:
        yield running


def _counts(engine: Engine) -> tuple[int, int]:
    stack = stack_of(engine)
    ddb = stack.client("dynamodb")
    return tuple(ddb.scan(TableName=t, Select="COUNT")["Count"] for t in ("salesdq-orders", "salesdq-audit"))  # type: ignore[return-value]


def test_try_names_exactly_the_records_a_proposal_would_move_and_writes_nothing(engine, tmp_path, monkeypatch, capsys):
    records, kinds = mixed(60, seed=23)
    path = write_json(tmp_path, "mixed.json", {"orders": records})
    run = upload_and_follow(stack_of(engine), path, Progress())
    assert run.status == "completed"
    before = _counts(engine)

    monkeypatch.setattr("salesdq.cli.contract.stack_ref", lambda args: stack_of(engine))
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", RoutedStdout(sys.stdout, engine.lambdas.logs))
    status = main(["contract", "try", str(PROPOSAL), "--file", "mixed.json", "--json"])
    found = json.loads(capsys.readouterr().out)

    assert status == 0
    assert _counts(engine) == before  # a what-if: no order, no event written
    total = len(records)
    stored_then = len(kinds["fine"]) + len(kinds["big_qty"])  # the default contract has no upper bound
    stored_now = len(kinds["fine"]) + len(kinds["bad_email"])
    assert found["records"] == total
    assert (found["then"]["stored"], found["now"]["stored"]) == (stored_then, stored_now), found
    assert found["score_then"] == round(stored_then / total, 4)
    assert found["score_now"] == round(stored_now / total, 4)

    tightened = found["directions"].get("stored -> quarantined", {"records": 0})
    relaxed = found["directions"].get("quarantined -> stored", {"records": 0})
    assert set(found["directions"]) <= {"stored -> quarantined", "quarantined -> stored"}
    assert tightened["records"] == len(kinds["big_qty"]) > 0
    assert tightened["by_rule"] == {"positive_whole": len(kinds["big_qty"])}
    assert tightened["by_field"] == {"order-info.qty": len(kinds["big_qty"])}
    assert {e["order_id"] for e in tightened["examples"]} <= set(kinds["big_qty"])
    assert relaxed["records"] == len(kinds["bad_email"]) > 0
    assert relaxed["by_rule"] == {"email": len(kinds["bad_email"])}  # the rule they failed then
    assert {e["order_id"] for e in relaxed["examples"]} <= set(kinds["bad_email"])
    assert found["changed"] == len(kinds["big_qty"]) + len(kinds["bad_email"])
    assert found["contract"].startswith("2.1.0+")

    assert main(["contract", "try", str(PROPOSAL), "--file", "mixed.json"]) == 0
    words = capsys.readouterr().out
    assert f"{found['changed']:,} would change" in words
    assert any(
        line.startswith("stored -> quarantined") and f"positive_whole {len(kinds['big_qty'])}" in line
        for line in words.splitlines()
    )

    # --fail-under as `report` takes it: the score under the proposal against it
    at = stored_now / total  # the score under the proposal, from the input
    assert main(["contract", "try", str(PROPOSAL), "--file", "mixed.json", "--fail-under", f"{at:.4f}"]) == 0
    assert main(["contract", "try", str(PROPOSAL), "--file", "mixed.json", "--fail-under", f"{at + 0.01:.4f}"]) == 1
    assert "under the proposal, under" in capsys.readouterr().err

    # a what-if publishes nothing: the active contract is still the shipped default
    from salesdq.operators.publish import active
    from services.contract import default

    assert active(stack_of(engine))[1].digest == default().digest
