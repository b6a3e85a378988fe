"""`salesdq contract publish | show | history` on the embedded engine: a published contract judges the runs that
start after it (an upload's, a redrive batch's), with no redeploy, and says so in every record event; `replay file`
judges under the active contract, or a proposed one with --dry-run --contract; refusals change nothing. What each
record becomes is decided from the input by the test's own oracle (tests/e2e/helpers.py: judge), with the one
rule the published contract drops (the email format) dropped by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import stack_of
from salesdq.locate import StackRef
from salesdq.operators import quarantine
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from services.contract import DEFAULT_PATH, default, load
from services.domain import audit_events

from .helpers import judge, order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

DATA = Path(__file__).parents[1] / "data" / "contracts"
EMAIL = ("contact-info.email", "email")


def relaxed_text() -> str:
    """The default contract with its email format dropped (any text is an email), as version 2.1.0."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    relaxed = text.replace("version: 2.0.0", "version: 2.1.0").replace(
        "            logicalTypeOptions:\n              format: email\n", ""
    )
    assert relaxed.count("format: email") == 0 and "version: 2.1.0" in relaxed
    return relaxed


def stored_under_relaxed(record: dict[str, Any]) -> bool:
    """The oracle: the record fails nothing but, at most, the email rule."""
    return not (judge(record).reasons - {EMAIL})


def document(out: str) -> Any:
    """The command's one JSON document: the functions it invokes run in this process, and their log lines
    (written by a logger bound to the stdout of its first invocation) may come before it."""
    return json.loads(out[out.index("{\n") :])


def record_events(stack: StackRef, order_id: str) -> list[dict[str, Any]]:
    return [e for e in stack.audit().query(audit_events.order_pk(order_id)) if e["event"] != "record.redriven"]


def test_a_published_contract_judges_the_next_upload_a_redrive_and_a_replay(engine, cli, tmp_path) -> None:
    stack = stack_of(engine)
    shipped = default()
    relaxed_path = tmp_path / "relaxed.odcs.yaml"
    relaxed_path.write_text(relaxed_text(), encoding="utf-8")
    relaxed = load(relaxed_path)

    first = [order("A"), order("B", email="nobody"), order("C", email="x@"), order("N", name="")]
    assert [judge(r).normalized is not None for r in first] == [True, False, False, False]
    run = upload_and_follow(stack, write_json(tmp_path, "one.json", {"orders": first}), Progress())
    assert (run.status, run.stored, run.quarantined) == ("completed", 1, 3)

    status, out, _ = cli("contract", "history", "--json")
    assert status == 0
    assert [(e["contract"], e["by"], e["active"]) for e in json.loads(out)["contracts"]] == [
        (shipped.version, "shipped with the deploy", True)
    ]

    status, out, err = cli("contract", "publish", relaxed_path, "--yes", "--json")
    assert status == 0, err
    published = json.loads(out)
    assert (published["status"], published["contract"], published["previous"]) == (
        "published",
        relaxed.version,
        shipped.version,
    )
    assert published["changes"] and not published["breaking"]
    status, out, _ = cli("contract", "publish", relaxed_path, "--yes", "--json")  # the same again: nothing written
    assert status == 0 and json.loads(out)["status"] == "already_active"
    status, out, _ = cli("contract", "publish", relaxed_path, "--yes")
    assert status == 0 and "already" in out

    # a new upload: judged by the published contract, its events naming it
    second = [order("D", email="nobody"), order("E"), order("F", qty=0)]
    run = upload_and_follow(stack, write_json(tmp_path, "two.json", {"orders": second}), Progress())
    expected_stored = sum(stored_under_relaxed(r) for r in second)
    assert expected_stored == 2 and (run.stored, run.quarantined) == (expected_stored, 1)
    assert run.contract == relaxed.version
    (d_event,) = record_events(stack, "D")
    assert (d_event["event"], d_event["contract"]) == ("record.stored", relaxed.version)
    assert {e["contract"] for e in record_events(stack, "A")} == {shipped.version}  # a run before: as it was

    # a redrive after the publish: a correction only the relaxed rule admits is stored, judged by it
    ids = {item["order_id"]: item["id"] for item in quarantine.quarantined_items(stack)}
    correction = order("B", email="still nobody")
    assert judge(correction).normalized is None and stored_under_relaxed(correction)
    corrections = tmp_path / "fix.jsonl"
    corrections.write_text(json.dumps({"id": ids["B"], "record": correction, "attempt": 1}) + "\n", encoding="utf-8")
    status, out, err = cli("redrive", corrections, "--wait", "--json", "--progress", "never")
    assert status == 0, err
    redriven = document(out)
    assert redriven["contract"] == relaxed.version
    assert [(r["status"], r["stored"], r["contract"]) for r in redriven["results"]] == [
        ("completed", 1, relaxed.version)
    ]
    assert [(e["event"], e["contract"]) for e in record_events(stack, "B")] == [
        ("record.quarantined", shipped.version),
        ("record.stored", relaxed.version),
    ]
    status, text, _ = cli("contract", "history")
    assert relaxed.version in text and "shipped with the deploy" in text

    # replay file: a dry run under the active contract, then under a proposal (the shipped default), nothing written
    status, out, err = cli("replay", "file", "one.json", "--dry-run", "--json")
    assert status == 0, err
    now = json.loads(out)
    assert now["contract"] == relaxed.version
    # C (email x@) would be stored now; B is carried as its redrive left it (its order, the correction's, stored:
    # a duplicate for the replay, as a replay carries a redriven record); N still fails its name
    assert sorted((c["order_id"], c["was"], c["now"]) for c in now["changed"]) == [
        ("B", "quarantined", "duplicate"),
        ("C", "quarantined", "stored"),
    ]
    status, out, err = cli("replay", "file", "two.json", "--dry-run", "--contract", DEFAULT_PATH, "--json")
    assert status == 0, err
    proposed = json.loads(out)
    assert proposed["contract"] == shipped.version
    assert [(c["order_id"], c["was"], c["now"]) for c in proposed["changed"]] == [("D", "stored", "quarantined")]
    status, text, _ = cli("replay", "file", "two.json", "--dry-run", "--contract", DEFAULT_PATH)
    assert f"against contract {shipped.version}" in text

    # a replay's run judges by the active contract and says which
    status, out, err = cli("replay", "file", "one.json", "--json", "--progress", "never")
    assert status == 0, err
    replayed = document(out)
    assert (replayed["contract"], replayed["stored"]) == (relaxed.version, 1)  # C stored now
    status, text, _ = cli("contract", "show", "--json")
    shown = json.loads(text)
    assert (shown["contract"], shown["active"], shown["document"]) == (relaxed.version, True, relaxed_text())
    status, text, _ = cli("contract", "show", shipped.digest[:10])
    assert status == 0 and "not active: shipped with the deploy" in text and "format: email" in text

    status, out, err = cli("audit", "verify", "--json")
    assert status == 0 and json.loads(out)["drift"] is False, out + err
    status, out, _ = cli("contract", "history", "--json")
    assert [(e["contract"], e["active"]) for e in json.loads(out)["contracts"]] == [
        (shipped.version, False),
        (relaxed.version, True),
    ]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("not-odcs-wrong-kind.odcs.yaml", "not a valid ODCS"),
        ("unsupported-sql.odcs.yaml", "quality"),
        ("not-odcs-sales-file.json", "not a valid ODCS"),
    ],
)
def test_publish_refuses_what_check_refuses_and_writes_nothing(engine, cli, name, said) -> None:
    status, _, err = cli("contract", "publish", DATA / name, "--yes")
    assert status == 2 and said in err and "Traceback" not in err, err
    status, out, _ = cli("contract", "publish", DATA / name, "--yes", "--json")
    assert status == 2 and json.loads(out)["valid"] is False
    _nothing_published(engine, cli)


def test_publish_without_yes_and_without_a_terminal_is_refused(engine, cli, tmp_path) -> None:
    path = tmp_path / "relaxed.odcs.yaml"
    path.write_text(relaxed_text(), encoding="utf-8")
    status, out, err = cli("contract", "publish", path)
    assert status == 2 and "pass --yes" in err and "Traceback" not in err
    assert "relaxing" in out  # the diff was shown first
    status, out, _ = cli("contract", "publish", path, "--json")
    assert status == 2 and json.loads(out)["status"] == "refused"
    _nothing_published(engine, cli)


def _nothing_published(engine: Engine, cli: Callable[..., Any]) -> None:
    stack = stack_of(engine)
    listed = stack.client("s3").list_objects_v2(Bucket=stack.bucket, Prefix="contracts/")
    assert listed.get("KeyCount", 0) == 0
    _, out, _ = cli("contract", "history", "--json")
    assert [e["by"] for e in json.loads(out)["contracts"]] == ["shipped with the deploy"]
