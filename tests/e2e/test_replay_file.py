"""`salesdq replay file`: a file's retained bytes run again under the current contract, through the real ASL on
the embedded engine. The contract is changed in this process, where the engine runs its Lambdas too; what
changes is computed by an oracle from the input (helpers.judge), never from salesdq's output."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import stack_of
from salesdq.locate import StackRef
from salesdq.operators import quarantine, redrive, runs
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.history import order_history
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from services.contract import CompiledContract
from services.domain.contract import Reason, Rule, Verdict

from .helpers import canonical, judge, order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

MAX_QTY = 5
EMAIL = ("contact-info.email", "email")


# ----------------------------------------------------------------------------------------------- the rule change


def change_contract(monkeypatch: pytest.MonkeyPatch, *, max_qty: int | None = None) -> None:
    """The contract as changed by the test: any text is an email; with max_qty, a qty above it fails."""
    original = CompiledContract.check

    def check(self: CompiledContract, record: Any, **findings: Any) -> Verdict:
        verdict = original(self, record, **findings)
        reasons = [r for r in verdict.reasons if r.rule != Rule.EMAIL]
        if reasons or verdict.order_id is None:
            return Verdict(verdict.order_id, reasons=reasons) if reasons else verdict
        normalized = verdict.record or self.normalize(record, verdict.order_id)
        if max_qty is not None and normalized["order-info"]["qty"] > max_qty:
            return Verdict(verdict.order_id, reasons=[Reason("order-info.qty", Rule.POSITIVE_WHOLE, "qty too big")])
        return Verdict(verdict.order_id, record=normalized)

    monkeypatch.setattr(CompiledContract, "check", check)


def judge_now(record: dict[str, Any], max_qty: int | None) -> tuple[str | None, dict[str, Any] | None]:
    """The oracle's verdict under the changed rules: (order id, normalized content or None when invalid)."""
    verdict = judge(record)
    if verdict.reasons - {EMAIL}:
        return verdict.order_id, None
    if verdict.normalized is None:  # only the email failed: what the record stores, its email trimmed
        fixed = judge({**record, "contact-info": {**record["contact-info"], "email": "a@example.com"}}).normalized
        assert fixed is not None
        fixed["contact-info"]["email"] = record["contact-info"]["email"].strip()
        normalized = fixed
    else:
        normalized = verdict.normalized
    if max_qty is not None and normalized["order-info"]["qty"] > max_qty:
        return verdict.order_id, None
    return verdict.order_id, normalized


def oracle_outcomes(
    records: list[dict[str, Any]], table: dict[str, tuple[str, int]], verdict: Callable[[Any], Any]
) -> list[str]:
    """Each record's outcome in file order against `table` (order id -> content, index of the record that
    stored it), which it extends: first complete record wins; its own stored order is its (stored)."""
    outcomes = []
    for index, record in enumerate(records):
        order_id, normalized = verdict(record)
        if normalized is None:
            outcomes.append("quarantined")
        elif order_id not in table:
            table[order_id] = (canonical(normalized), index)
            outcomes.append("stored")
        elif table[order_id][1] == index:
            outcomes.append("stored")
        else:
            outcomes.append("duplicate" if table[order_id][0] == canonical(normalized) else "quarantined")
    return outcomes


# ----------------------------------------------------------------------------------------------- store snapshots


def snapshot(stack: StackRef) -> dict[str, Any]:
    """Every store, byte for byte: every DynamoDB table scanned, every S3 object version read, the queue's
    message counts (attributes only: nothing is received)."""
    ddb, s3, sqs = stack.client("dynamodb"), stack.client("s3"), stack.client("sqs")
    tables = {}
    for name in ddb.list_tables()["TableNames"]:
        items = [i for page in ddb.get_paginator("scan").paginate(TableName=name) for i in page["Items"]]
        tables[name] = sorted(json.dumps(i, sort_keys=True) for i in items)
    objects = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=stack.bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=stack.bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"]
            objects[(version["Key"], version["VersionId"])] = body.read()
        for marker in page.get("DeleteMarkers", []):
            objects[(marker["Key"], marker["VersionId"])] = b"<delete marker>"
    queue = sqs.get_queue_attributes(QueueUrl=stack.quarantine_queue_url, AttributeNames=["All"])["Attributes"]
    return {"tables": tables, "objects": objects, "queue": queue}


def raw_queue(stack: StackRef) -> list[dict[str, Any]]:
    held = stack.quarantine().peek()
    return [m["body"] for m in held]


# ----------------------------------------------------------------------------------------------- dry run


def test_a_dry_run_writes_nothing_and_names_exactly_the_records_whose_outcome_changes(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    records = [
        order("v1", qty=2),
        order("e1", email="nope"),  # email: valid now
        order("q1", qty=0),  # invalid then and now
        order("big", qty=9),  # stored then, over the bound now
        order("e2", email="still@bad"),  # email: valid now
        order("e1", email="nope"),  # quarantined then; now a duplicate of #1
        order("v1", qty=2),  # duplicate then and now
        order("e3", qty=7, email="x"),  # email then, qty now: quarantined both times
        order("big", qty=9),  # duplicate then; now invalid
    ] + [order(f"n{i}", qty=1 + i % 9) for i in range(40)]
    path = write_json(tmp_path, "day.json", {"orders": records})
    stack = stack_of(engine)
    assert upload_and_follow(stack, path, Progress()).status == "completed"

    table: dict[str, tuple[str, int]] = {}
    then = oracle_outcomes(records, table, lambda r: (judge(r).order_id, judge(r).normalized))
    now = oracle_outcomes(records, table, lambda r: judge_now(r, MAX_QTY))
    expected = {i: (then[i], now[i]) for i in range(len(records)) if then[i] != now[i]}
    assert expected  # the rule change does change outcomes

    before = snapshot(stack)
    status, plain, _ = cli("replay", "file", "day.json", "--dry-run", "--json")
    assert status == 0 and json.loads(plain)["changed"] == []  # the contract as it was: nothing changes

    change_contract(monkeypatch, max_qty=MAX_QTY)
    status, out, err = cli("replay", "file", "day.json", "--dry-run", "--json")
    assert status == 0, err
    found = json.loads(out)
    assert snapshot(stack) == before  # nothing written anywhere
    assert found["dry_run"] is True and found["file"] == "incoming/day.json"
    assert {c["index"]: (c["was"], c["now"]) for c in found["changed"]} == expected
    assert found["then"] == dict(Counter(then)) | {
        k: 0 for k in ("stored", "duplicate", "quarantined") if k not in then
    }
    assert found["now"] == dict(Counter(now)) | {k: 0 for k in ("stored", "duplicate", "quarantined") if k not in now}
    by_index = {c["index"]: c for c in found["changed"]}
    assert by_index[3]["order_id"] == "big" and by_index[3]["reasons"][0]["rule"] == "positive_whole"
    assert by_index[1]["was_rules"] == ["email"] and by_index[1]["reasons"] == []

    file_id = found["file_id"]
    status, table_out, _ = cli("replay", "file", file_id[:10], "--dry-run")  # a prefix of the id, as a table
    assert status == 0 and f"{len(expected)} records change" in table_out
    assert snapshot(stack) == before


# ----------------------------------------------------------------------------------------------- real replay


def test_a_replay_stores_what_is_valid_now_resolves_it_and_a_second_replay_changes_nothing(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    records = [
        order("v1"),
        order("e1", email="nope"),  # valid now: stored by the replay
        order("q1", qty=0),  # still invalid: stays quarantined once
        order("e2", email="bad"),  # valid now
        order("v1"),  # duplicate
    ]
    path = write_json(tmp_path, "day.json", {"orders": records})
    stack = stack_of(engine)
    first = upload_and_follow(stack, path, Progress())
    assert (first.stored, first.duplicates, first.quarantined) == (1, 1, 3)
    ids = {b["order_id"]: b["id"] for b in quarantine.quarantined_items(stack)}
    assert set(ids) == {"e1", "q1", "e2"}

    change_contract(monkeypatch)
    status, out, err = cli("replay", "file", "day.json", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["status"] == "completed" and result["execution"].startswith("replay-")
    assert result["replay_of"]["at"] == runs.file_runs(stack)[0].run.id
    # v1's order is its own earlier one (another run): a duplicate, as a replay always finds it; so is #4
    assert (result["stored"], result["duplicates"], result["quarantined"]) == (2, 2, 1)
    orders = {o["OrderId"]: o for o in stack.orders().scan()}
    assert set(orders) == {"v1", "e1", "e2"}
    assert orders["e1"]["_file"] == "incoming/day.json" and orders["e1"]["_source"].endswith("#1")
    assert {b["id"] for b in quarantine.quarantined_items(stack)} == {ids["q1"]}  # quarantine list
    assert [line["id"] for line in quarantine.export_lines(stack)] == [ids["q1"]]  # quarantine export
    assert [b["id"] for b in raw_queue(stack)] == [ids["q1"]]  # the queue holds one message, for q1 only
    resolved = {i["id"]: i for i in stack.quarantined().items(status="resolved")}
    assert {resolved[ids[o]]["outcome"] for o in ("e1", "e2")} == {"stored"}

    replayed = [r for r in runs.file_runs(stack) if r.run.replay_of]
    assert len(replayed) == 1 and replayed[0].run.file == "incoming/day.json"
    replayed_events = [e for e in stack.audit().scan() if e.get("event") == "file.replayed"]
    assert [(e["replay_of"], e["replay_of_execution"]) for e in replayed_events] == [
        (result["replay_of"]["at"], result["replay_of"]["execution"])
    ]

    view_before = sorted(json.dumps(i, sort_keys=True, default=str) for i in stack.quarantined().items(status=None))
    orders_before = sorted(json.dumps(o, sort_keys=True, default=str) for o in stack.orders().scan())
    queue_before = raw_queue(stack)
    status, out, err = cli("replay", "file", "day.json", "--json")  # the same replay again
    assert status == 0, err
    assert (json.loads(out)["stored"], json.loads(out)["quarantined"]) == (0, 1)
    assert sorted(json.dumps(o, sort_keys=True, default=str) for o in stack.orders().scan()) == orders_before
    assert (
        sorted(json.dumps(i, sort_keys=True, default=str) for i in stack.quarantined().items(status=None))
        == view_before
    )
    assert raw_queue(stack) == queue_before

    history = [(e["event"], e["at"]) for e in order_history(stack, "e1")]
    assert [kind for kind, _ in history] == ["record.quarantined", "record.stored", "record.duplicate"]
    assert [at for _, at in history] == sorted(at for _, at in history)

    # q1, still quarantined after the replays, is redriven fixed: it ends once, stored
    sent = redrive.send_corrections(stack, [{"id": ids["q1"], "record": order("q1", qty=1), "attempt": 1}])
    (batch,) = redrive.wait_for_batches(stack, sent, Progress())
    assert (batch.status, batch.stored) == ("completed", 1)
    q1 = [e["event"] for e in order_history(stack, "q1")]
    assert q1 == ["record.quarantined"] * 3 + ["record.redriven", "record.stored"]
    assert list(quarantine.quarantined_items(stack)) == [] and raw_queue(stack) == []


# ----------------------------------------------------------------------------------------------- bad input


def test_bad_input_is_refused_with_its_exit_status_and_changes_nothing(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stack = stack_of(engine)
    status, _, err = cli("replay", "file")
    assert status == 2 and "usage:" in err and "NAME|FILE_ID" in err
    status, _, err = cli("replay", "file", "nothing.json")
    assert status == 1 and "no file run named 'nothing.json'" in err and "`salesdq runs`" in err
    status, _, err = cli("replay", "file", "0123456789abcdef", "--dry-run")
    assert status == 1 and "`salesdq runs`" in err

    path = write_json(tmp_path, "gone.json", {"orders": [order("g1"), order("g2", email="x")]})
    assert upload_and_follow(stack, path, Progress()).status == "completed"
    s3 = stack.client("s3")
    for version in s3.list_object_versions(Bucket=stack.bucket, Prefix="raw/")["Versions"]:
        s3.delete_object(Bucket=stack.bucket, Key=version["Key"], VersionId=version["VersionId"])
    before = snapshot(stack)
    for args in (("gone.json",), ("gone.json", "--dry-run")):
        status, out, err = cli("replay", "file", *args)
        assert status == 1 and "retained bytes" in err and "are gone" in err and out == ""
    assert snapshot(stack) == before

    # a replay while the same file is still running: refused, naming the running execution
    release = threading.Event()
    from services.validator import validate_chunk as module

    store = module.store_chunk

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(60)
        return store(*args, **kwargs)

    monkeypatch.setattr(module, "store_chunk", held)
    busy = write_json(tmp_path, "busy.json", {"orders": [order("b1")]})
    stack.inbox().upload(busy, "incoming/busy.json")
    deadline = time.monotonic() + 60
    while not [r for r in runs.file_runs(stack, "running") if r.run.file == "incoming/busy.json"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    (running,) = [r for r in runs.file_runs(stack, "running") if r.run.file == "incoming/busy.json"]
    try:
        status, _, err = cli("replay", "file", "busy.json")
        assert status == 1 and "still running" in err and running.run.execution in err
    finally:
        release.set()


# ----------------------------------------------------------------------------------------------- replays and the log


def test_a_replay_keeps_the_log_true_and_leaves_a_redriven_record_to_its_redrive(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 22, item 1: after a replay, verify is clean, rebuild equals the stores and each record's history
    ends in its current outcome, also when its records were redriven since (the redrive's outcome stands)."""
    records = [
        order("1"),
        order("2", qty=0),  # redriven fixed: stored
        order("3", email="nope"),  # redriven fixed under another order id; valid as it is once email relaxes
        order("4", name=""),  # redriven still broken: quarantined at attempt 2
    ]
    bad = [i for i, r in enumerate(records) if judge(r).reasons]
    assert bad == [1, 2, 3]
    stack = stack_of(engine)

    def clean() -> None:
        status, out, err = cli("audit", "verify", "--json")
        assert status == 0 and json.loads(out)["drift"] is False, out + err

    clean()  # (before the first Lambda runs: the functions' loggers write to the routed stdout)
    path = write_json(tmp_path, "s.json", {"orders": records})
    assert upload_and_follow(stack, path, Progress()).status == "completed"
    view_before = {i["id"]: i["body_json"] for i in stack.quarantined().items()}
    clean()
    status, out, err = cli("replay", "file", "s.json", "--json")  # the same contract: nothing changes
    assert status == 0, err
    assert (json.loads(out)["duplicates"], json.loads(out)["quarantined"]) == (1, len(bad))
    assert {i["id"]: i["body_json"] for i in stack.quarantined().items()} == view_before  # nothing resent
    clean()

    ids = {b["order_id"]: b["id"] for b in quarantine.quarantined_items(stack)}
    fixes = {"2": order("2"), "3": order("3x"), "4": order("4", name=" ")}
    sent = redrive.send_corrections(stack, [{"id": ids[k], "record": v, "attempt": 1} for k, v in fixes.items()])
    (batch,) = redrive.wait_for_batches(stack, sent, Progress())
    assert (batch.stored, batch.quarantined) == (2, 1)
    clean()
    open_before = {i["id"]: i["body_json"] for i in stack.quarantined().items()}
    assert list(open_before) == [ids["4"]] and json.loads(open_before[ids["4"]])["attempt"] == 2

    change_contract(monkeypatch)  # record 3's own bytes are valid now: its correction (3x) is the record still
    status, out, err = cli("replay", "file", "s.json", "--dry-run", "--json")
    assert status == 0, err
    dry = json.loads(out)
    status, out, err = cli("replay", "file", "s.json", "--json")
    assert status == 0, err
    result = json.loads(out)
    # 1: its own order; 2 and 3: their orders stored by the redrive; 4: quarantined as its redrive left it
    assert (result["stored"], result["duplicates"], result["quarantined"]) == (0, 3, 1)
    # the dry run said what the replay did: the redriven records 2 and 3 change to their redrive's outcome
    assert {c["index"]: (c["was"], c["now"]) for c in dry["changed"]} == {
        1: ("quarantined", "duplicate"),
        2: ("quarantined", "duplicate"),
    }
    assert {o["OrderId"] for o in stack.orders().scan()} == {"1", "2", "3x"}  # no second order for record 3
    assert {i["id"]: i["body_json"] for i in stack.quarantined().items()} == open_before
    clean()

    rebuilt = tmp_path / "rebuilt"
    status, _, err = cli("audit", "rebuild", "--out", str(rebuilt))
    assert status == 0, err
    lines = [json.loads(line) for line in (rebuilt / "quarantine.jsonl").read_text().splitlines()]
    assert [(line["id"], line["attempt"], line["record"]) for line in lines] == [(ids["4"], 2, fixes["4"])]
    orders = [json.loads(line)["OrderId"] for line in (rebuilt / "orders.jsonl").read_text().splitlines()]
    assert orders == ["1", "2", "3x"]

    for order_id, now in (("2", {"record.stored", "record.duplicate"}), ("4", {"record.quarantined"})):
        terminal = [e["event"] for e in order_history(stack, order_id) if e["event"] != "record.redriven"]
        assert terminal[-1] in now, (order_id, terminal)


def test_a_record_a_replay_resolved_and_a_later_replay_quarantines_is_open_again(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The contract relaxed, then back: e1 is stored by the first replay and quarantined by the second, whose
    quarantine message and open item the log holds (before: the item stayed resolved, and verify found it missing)."""
    stack = stack_of(engine)
    cli("audit", "verify")  # (before the first Lambda runs: the functions' loggers write to the routed stdout)
    records = [order("v1"), order("e1", email="nope")]
    assert judge(records[1]).reasons == {EMAIL}
    assert upload_and_follow(stack, write_json(tmp_path, "r.json", {"orders": records}), Progress()).quarantined == 1
    with monkeypatch.context() as relaxed:
        change_contract(relaxed)
        status, out, err = cli("replay", "file", "r.json", "--json")
        assert status == 0 and json.loads(out)["stored"] == 1, err
    status, out, err = cli("replay", "file", "r.json", "--json")  # the contract as it was
    assert status == 0 and json.loads(out)["quarantined"] == 1, err
    (item,) = quarantine.quarantined_items(stack)
    assert (item["order_id"], item["reasons"][0]["rule"]) == ("e1", "email")
    assert [b["id"] for b in raw_queue(stack)] == [item["id"]]
    status, out, err = cli("audit", "verify", "--json")
    assert status == 0 and json.loads(out)["drift"] is False, out + err


# ----------------------------------------------------------------------------------------------- JSON Lines


@pytest.mark.parametrize(
    "records",
    [
        [order("e1", email="nope")],  # one line: a JSON document too, without "orders"
        [order("v1"), '{"order-info": {"OrderId": "cut"', order("e2", email="bad"), order("v1"), order("q1", qty=0)],
    ],
    ids=["one-record", "several-with-a-bad-line"],
)
def test_a_json_lines_file_is_replayed_and_dry_run_as_json_lines(
    engine: Engine, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, records: list[Any]
) -> None:
    """The retained bytes (raw/<file id>) are read as their run's file name says: before, the replay and its dry
    run read a .jsonl file's as JSON, so a file of one record was rejected (the top-level object has no "orders"
    key) and a line JSON cannot read rejected the file instead of quarantining itself."""
    stack = stack_of(engine)
    cli("audit", "verify")  # (before the first Lambda runs: the functions' loggers write to the routed stdout)
    path = tmp_path / "day.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")

    def verdict(now: bool) -> Callable[[Any], Any]:
        def decide(record: Any) -> tuple[str | None, dict[str, Any] | None]:
            if isinstance(record, str):  # a line JSON cannot read: quarantined alone, under any contract
                return None, None
            return judge_now(record, None) if now else (judge(record).order_id, judge(record).normalized)

        return decide

    table: dict[str, tuple[str, int]] = {}
    then = oracle_outcomes(records, table, verdict(now=False))
    now = oracle_outcomes(records, table, verdict(now=True))
    expected = {i: (then[i], now[i]) for i in range(len(records)) if then[i] != now[i]}
    assert expected  # relaxing the email changes some record
    first = upload_and_follow(stack, path, Progress())
    assert (first.status, first.records, first.quarantined) == ("completed", len(records), then.count("quarantined"))

    change_contract(monkeypatch)  # any text is an email
    status, out, err = cli("replay", "file", "day.jsonl", "--dry-run", "--json")
    assert status == 0, err
    dry = json.loads(out)
    assert dry["records"] == len(records)
    assert {c["index"]: (c["was"], c["now"]) for c in dry["changed"]} == expected

    status, out, err = cli("replay", "file", "day.jsonl", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert (result["status"], result["file"], result["records"]) == ("completed", "incoming/day.jsonl", len(records))
    newly = sum(now[i] == "stored" != then[i] for i in range(len(records)))
    again = sum(now[i] == "stored" == then[i] for i in range(len(records)))  # its own order: a duplicate in a replay
    assert (result["stored"], result["duplicates"], result["quarantined"]) == (
        newly,
        now.count("duplicate") + again,
        now.count("quarantined"),
    )
    stored_ids = {verdict(now=True)(records[i])[0] for i in range(len(records)) if now[i] == "stored"}
    assert {o["OrderId"] for o in stack.orders().scan()} == stored_ids
    assert [r.status for r in runs.file_runs(stack)] == ["completed", "completed"]  # no run rejected, no other name
    assert {r.run.file for r in runs.file_runs(stack)} == {"incoming/day.jsonl"}
    assert len(list(quarantine.quarantined_items(stack))) == now.count("quarantined")
    status, out, err = cli("audit", "verify", "--json")
    assert status == 0 and json.loads(out)["drift"] is False, out + err
