"""`salesdq contract try`: the files already received, judged again under a proposed contract on the embedded engine
(the real workflow ran them under the default contract first), in arrival order with one view of the orders
stored so far. The records that would change are computed from the generated input by an oracle of the two
contracts' rules and of first-wins across files, never from salesdq's output; nothing is written."""

from __future__ import annotations

import datetime as real_datetime
import hashlib
import json
import random
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import moto.stepfunctions.parser.models as sfn_models
import pytest

from salesdq.cli import main
from salesdq.local.run import stack_of
from salesdq.operators import redrive
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine
from salesdq_engine.lambda_runtime import RoutedStdout
from services.ingest.prepare import raw_key

from .helpers import canonical, order, write_json, write_jsonl
from .test_replay_file import snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

PROPOSAL = Path(__file__).parents[1] / "data" / "contracts" / "proposal-email-relaxed-qty-100.odcs.yaml"
KINDS = ("fine", "big_qty", "bad_email", "both", "no_name")
BAD_EMAILS = ("nobody", "a@localhost", "x@")


# ----------------------------------------------------------------------------------------------- the oracle


def valid_then(record: dict[str, Any]) -> bool:
    """The default contract, for the records these tests generate: a name, and an email with a dotted domain."""
    return "name" in record["contact-info"] and record["contact-info"]["email"] not in BAD_EMAILS


def valid_now(record: dict[str, Any]) -> bool:
    """The proposal: any email, and qty at most 100."""
    return "name" in record["contact-info"] and record["order-info"]["qty"] <= 100


def outcomes(
    files: list[list[dict[str, Any]]], valid: Callable[[dict[str, Any]], bool], table: dict[str, str] | None = None
) -> list[list[str]]:
    """Each record's outcome, file after file in order, against `table` (order id -> content; extended): the first
    valid record of an id is stored, a later one with the same content a duplicate, with other content a conflict."""
    table = {} if table is None else table
    found = []
    for records in files:
        found.append([])
        for record in records:
            order_id, content = record["order-info"]["OrderId"], canonical(record)
            if not valid(record):
                found[-1].append("quarantined")
            elif order_id not in table:
                table[order_id] = content
                found[-1].append("stored")
            else:
                found[-1].append("duplicate" if table[order_id] == content else "quarantined")
    return found


def changes(then: list[list[str]], now: list[list[str]]) -> set[tuple[int, int, str, str]]:
    """(file number, index, was, now) of every record whose outcome differs."""
    return {
        (f, i, a, b)
        for f, (x, y) in enumerate(zip(then, now, strict=True))
        for i, (a, b) in enumerate(zip(x, y, strict=True))
        if a != b
    }


# ----------------------------------------------------------------------------------------------- inputs


def mixed(count: int, seed: int, prefix: str = "T") -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Records of known kinds, each with its own order id: (records, order ids by kind)."""
    rng = random.Random(seed)
    records, kinds = [], {kind: [] for kind in KINDS}
    for i in range(count):
        kind = rng.choice(KINDS)
        qty = rng.randint(101, 500) if kind in ("big_qty", "both") else rng.randint(1, 100)
        email = rng.choice(BAD_EMAILS) if kind in ("bad_email", "both") else "ada@example.com"
        record = order(f"{prefix}-{i}", qty=qty, email=email)
        if kind == "no_name":
            del record["contact-info"]["name"]
        records.append(record)
        kinds[kind].append(f"{prefix}-{i}")
    return records, kinds


def repeats(first: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """A later file over the same order ids: each record again as it was, or with other content (a small qty, a
    good email: valid under both contracts), or a new order."""
    rng = random.Random(seed)
    later = []
    for i, record in enumerate(first):
        how = rng.choice(("same", "other", "other", "new"))
        if how == "same":
            later.append(json.loads(json.dumps(record)))
        else:
            order_id = record["order-info"]["OrderId"] if how == "other" else f"N-{seed}-{i}"
            later.append(order(order_id, qty=rng.randint(1, 100), item=f"9{i}"))
    return later


# ----------------------------------------------------------------------------------------------- the engine


class _Clock(real_datetime.datetime):
    """Step Functions' clock (an execution's StartTime, so a run's id and day), set by the test."""

    at = real_datetime.datetime(2026, 3, 1, 9, tzinfo=real_datetime.UTC)

    @classmethod
    def now(cls, tz: real_datetime.tzinfo | None = None) -> _Clock:  # type: ignore[override]
        cls.at += real_datetime.timedelta(seconds=1)  # every execution its own start
        return cls.at  # type: ignore[return-value]


@pytest.fixture
def upload(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Upload a file and follow its run; `day` (YYYY-MM-DD) is the day its execution starts on. Its file id."""
    monkeypatch.setattr(sfn_models, "datetime", types.SimpleNamespace(datetime=_Clock, timezone=real_datetime.timezone))

    def run(path: Path, day: str | None = None) -> str:
        if day is not None:
            _Clock.at = real_datetime.datetime.fromisoformat(f"{day}T09:00:00+00:00")
        found = upload_and_follow(stack_of(engine), path, Progress())
        assert found.status == "completed"
        return hashlib.sha256(path.read_bytes()).hexdigest()  # an upload's file id

    return run


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """`salesdq contract try PROPOSAL ARGS` in-process against the engine: (exit status, stdout, stderr)."""
    monkeypatch.setattr("salesdq.cli.contract.stack_ref", lambda args: stack_of(engine))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        # pytest's capture replaced the stdout the engine routes: Lambda output goes to its log files again
        monkeypatch.setattr(sys, "stdout", RoutedStdout(sys.stdout, engine.lambdas.logs))
        status = main(["contract", "try", str(PROPOSAL), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def tried(cli: Callable[..., Any], *args: str) -> dict[str, Any]:
    status, out, _ = cli(*args, "--json")
    assert status == 0
    return json.loads(out)


def found_changes(found: dict[str, Any], file_ids: list[str]) -> set[tuple[int, int, str, str]]:
    return {
        (file_ids.index(c["file_id"]), c["index"], c["was"], c["now"]) for f in found["files"] for c in f["changes"]
    }


# ----------------------------------------------------------------------------------------------- the tests


def test_one_file_names_exactly_the_records_a_proposal_would_move_and_writes_nothing(engine, upload, cli, tmp_path):
    records, kinds = mixed(60, seed=23)
    file_id = upload(write_json(tmp_path, "mixed.json", {"orders": records}))
    before = snapshot(stack_of(engine))

    found = tried(cli, "--file", "mixed.json")

    assert snapshot(stack_of(engine)) == before  # a what-if: no S3 object, item, message or event written
    assert [f["file_id"] for f in found["files"]] == [file_id] and found["not_judged"] == []
    entry, total = found["files"][0], found["total"]
    stored_then = len(kinds["fine"]) + len(kinds["big_qty"])  # the default contract has no upper bound
    stored_now = len(kinds["fine"]) + len(kinds["bad_email"])
    assert entry["records"] == total["records"] == len(records)
    assert (entry["then"]["stored"], entry["now"]["stored"]) == (stored_then, stored_now), entry
    assert entry["score_then"] == total["score_then"] == round(stored_then / len(records), 4)
    assert entry["score_now"] == total["score_now"] == round(stored_now / len(records), 4)

    tightened = total["directions"].get("stored -> quarantined", {"records": 0})
    relaxed = total["directions"].get("quarantined -> stored", {"records": 0})
    assert set(total["directions"]) == {"stored -> quarantined", "quarantined -> stored"}
    assert tightened["records"] == len(kinds["big_qty"]) > 0
    assert tightened["by_rule"] == {"positive_whole": len(kinds["big_qty"])}
    assert tightened["by_field"] == {"order-info.qty": len(kinds["big_qty"])}
    assert {e["order_id"] for e in tightened["examples"]} <= set(kinds["big_qty"])
    assert relaxed["records"] == len(kinds["bad_email"]) > 0
    assert relaxed["by_rule"] == {"email": len(kinds["bad_email"])}  # the rule they failed then, and its field
    assert relaxed["by_field"] == {"contact-info.email": len(kinds["bad_email"])}
    # every changed record, each named by its quarantine id
    moved = {c["order_id"]: (c["was"], c["now"], c["rules"]) for c in entry["changes"]}
    assert moved == {oid: ("stored", "quarantined", ["positive_whole"]) for oid in kinds["big_qty"]} | {
        oid: ("quarantined", "stored", ["email"]) for oid in kinds["bad_email"]
    }
    assert {c["quarantine_id"] for c in entry["changes"]} == {
        f"{file_id}:{i}" for i, r in enumerate(records) if r["order-info"]["OrderId"] in moved
    }
    assert entry["changed"] == total["changed"] == len(moved)
    assert found["contract"].startswith("2.1.0+")

    status, words, _ = cli("--file", "mixed.json")
    assert status == 0
    assert f"{len(moved):,} would change" in words
    assert any(
        line.startswith("stored -> quarantined") and f"positive_whole {len(kinds['big_qty'])}" in line
        for line in words.splitlines()
    )

    # --fail-under as `report` takes it: the score under the proposal against it
    at = stored_now / len(records)
    assert cli("--file", "mixed.json", "--fail-under", f"{at:.4f}")[0] == 0
    status, _, err = cli("--file", "mixed.json", "--fail-under", f"{at + 0.01:.4f}")
    assert status == 1 and "under the proposal, under" in err

    # a what-if publishes nothing: the active contract is still the shipped default
    from salesdq.operators.publish import active
    from services.contract import default

    assert active(stack_of(engine))[1].digest == default().digest


def test_a_later_file_repeating_order_ids_comes_out_as_first_wins_would_have_had_it(engine, upload, cli, tmp_path):
    """File 2 repeats file 1's order ids; where the proposal quarantines file 1's record (qty over 100) file 2's
    becomes the one stored, and where it stores one file 1 quarantined (a bad email) file 2's conflicts."""
    first, _ = mixed(80, seed=5, prefix="R")
    second = repeats(first, seed=6)
    ids = [
        upload(write_json(tmp_path, "first.json", {"orders": first})),
        upload(write_jsonl(tmp_path, "second.jsonl", second)),
    ]
    before = snapshot(stack_of(engine))

    found = tried(cli)

    assert snapshot(stack_of(engine)) == before
    then, now = outcomes([first, second], valid_then), outcomes([first, second], valid_now)
    expected = changes(then, now)
    assert found_changes(found, ids) == expected
    # the cases this test is for happened: file 2's record stored in file 1's place, and one that now conflicts
    assert any(f == 1 and was in ("duplicate", "quarantined") and is_ == "stored" for f, _, was, is_ in expected)
    assert any(f == 1 and was == "stored" and is_ == "quarantined" for f, _, was, is_ in expected)
    assert [f["file_id"] for f in found["files"]] == ids  # arrival order
    for number, entry in enumerate(found["files"]):
        assert entry["kind"] == "upload"
        assert entry["now"] == {k: now[number].count(k) for k in ("stored", "duplicate", "quarantined")}
        assert entry["then"] == {k: then[number].count(k) for k in ("stored", "duplicate", "quarantined")}
    good = sum(o in ("stored", "duplicate") for file in now for o in file)
    assert found["total"]["score_now"] == round(good / (len(first) + len(second)), 4)
    assert found["total"]["changed"] == len(expected)
    conflicts = [c for c in found["files"][1]["changes"] if c["now"] == "quarantined" and c["was"] == "stored"]
    assert conflicts and all(c["rules"] == ["conflict"] for c in conflicts)
    by_direction: dict[str, int] = {}
    for _, _, was, is_ in expected:
        by_direction[f"{was} -> {is_}"] = by_direction.get(f"{was} -> {is_}", 0) + 1
    assert {d: e["records"] for d, e in found["total"]["directions"].items()} == by_direction


def test_the_window_takes_the_files_that_arrived_in_it_and_counts_what_was_stored_before(engine, upload, cli, tmp_path):
    """Three files on three days, the later two over the first one's order ids: --since leaves the first out and
    counts what it stored (under the contract of the day) as stored; --until leaves the last out."""
    first, _ = mixed(50, seed=7, prefix="W")
    second, third = repeats(first, seed=8), repeats(first, seed=9)
    ids = [
        upload(write_json(tmp_path, "day1.json", {"orders": first}), "2026-03-01"),
        upload(write_json(tmp_path, "day2.json", {"orders": second}), "2026-03-02"),
        upload(write_json(tmp_path, "day3.json", {"orders": third}), "2026-03-03"),
    ]
    then = outcomes([first, second, third], valid_then)

    found = tried(cli, "--since", "2026-03-02")
    assert [f["file_id"] for f in found["files"]] == ids[1:]
    assert found["window"] == {"since": "2026-03-02", "until": None, "file": None}
    stored_before: dict[str, str] = {}
    outcomes([first], valid_then, stored_before)  # what day 1 stored, as it was judged then
    now = [then[0], *outcomes([second, third], valid_now, stored_before)]  # file 1 not judged: as it was
    assert found_changes(found, ids) == changes(then, now) != set()

    found = tried(cli, "--since", "2026-03-02", "--until", "2026-03-02")
    assert [f["file_id"] for f in found["files"]] == [ids[1]]
    assert found_changes(found, ids) == {c for c in changes(then, now) if c[0] == 1}

    found = tried(cli, "--until", "2026-03-01")
    assert [f["file_id"] for f in found["files"]] == [ids[0]]
    assert found_changes(found, ids) == changes(then[:1], outcomes([first], valid_now))

    # a file whose retained bytes are gone is listed, not judged, and what it stored still counts
    stack_of(engine).client("s3").delete_object(Bucket=stack_of(engine).bucket, Key=raw_key(ids[1]))
    found = tried(cli)
    assert [f["file_id"] for f in found["files"]] == [ids[0], ids[2]]
    assert [(f["file_id"], f["why"]) for f in found["not_judged"]] == [(ids[1], "not_retained")]
    table: dict[str, str] = {}
    first_now = outcomes([first], valid_now, table)[0]
    for record, then_ in zip(second, then[1], strict=True):  # what file 2 stored (then), unless file 1 stores it
        if then_ == "stored":
            table.setdefault(record["order-info"]["OrderId"], canonical(record))
    third_now = outcomes([third], valid_now, table)[0]
    assert found_changes(found, ids) == {c for c in changes(then, [first_now, then[1], third_now]) if c[0] != 1}


def test_try_refuses_bad_windows_and_unknown_files(engine, cli):
    status, out, _ = cli("--until", "2001-01-01")
    assert status == 0 and "no file to judge" in out
    assert cli("--since", "2026-03-05", "--until", "2026-03-01")[0] == 2
    assert cli("--since", "yesterday")[0] == 2
    status, _, err = cli("--file", "no-such.json")
    assert status == 1 and "no file named 'no-such.json'" in err


def test_a_redrive_batch_is_judged_as_history_at_the_time_it_ran(engine, upload, cli, tmp_path):
    """A record quarantined for its email is redriven corrected, and a later file repeats the correction: under a
    proposal that relaxes the email rule the original is stored first, so the batch's correction and the later
    copy of it conflict with it (docs/contracts.md: a redrive batch is part of the history)."""
    first = [order("A", qty=1, email="nobody"), order("B", qty=2), order("C", qty=3, email="x@")]
    corrected = order("A", qty=1, email="ada@example.com")
    second = [json.loads(json.dumps(corrected)), order("C", qty=3, email="clark@example.com")]
    first_id = upload(write_json(tmp_path, "first.json", {"orders": first}))
    sent = redrive.send_corrections(stack_of(engine), [{"id": f"{first_id}:0", "record": corrected, "attempt": 1}])
    (batch,) = redrive.wait_for_batches(stack_of(engine), sent, Progress())
    assert (batch.status, batch.stored) == ("completed", 1)
    upload(write_json(tmp_path, "second.json", {"orders": second}))
    before = snapshot(stack_of(engine))

    found = tried(cli)

    assert snapshot(stack_of(engine)) == before
    assert [f["kind"] for f in found["files"]] == ["upload", "redrive", "upload"]
    ids = [f["file_id"] for f in found["files"]]
    history = [first, [corrected], second]
    expected = changes(outcomes(history, valid_then), outcomes(history, valid_now))
    assert found_changes(found, ids) == expected
    assert (1, 0, "stored", "quarantined") in expected and (2, 0, "duplicate", "quarantined") in expected
    batch_change = found["files"][1]["changes"][0]
    assert batch_change["rules"] == ["conflict"] and batch_change["quarantine_id"] == f"{ids[1]}:0"

    # --file names a batch as any file: judged at its time, against what was stored before it
    alone = tried(cli, "--file", found["files"][1]["file"])
    assert [f["file_id"] for f in alone["files"]] == [ids[1]]
    assert found_changes(alone, ids) == set()  # file 1 not judged: its A was quarantined, the batch stores A
