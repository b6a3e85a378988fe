"""Operators on `salesdq local up`: upload, export what is quarantined, fix, redrive, history — every step a real
command against the long-running engine over HTTP, as an operator would run them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from .helpers import canonical, free_port, json_of, order, salesdq

INCOMPLETE_FILE = {
    "orders": [
        {
            "order-info": {"OrderId": "1", "item-id": "101", "qty": "2"},
            "contact-info": {"name": "Foo Bar", "email": "foo@example.com"},
        },
        {"order-info": {"OrderId": "2", "item-id": "102", "qty": "2"}},
        {
            "order-info": {"OrderId": "3", "item-id": "103", "qty": "0"},
            "contact-info": {"name": "Diana Prince", "email": "diana@example.com"},
        },
        {"order-info": {"item-id": "104", "qty": "1"}, "contact-info": {"name": "Ada", "email": "ada@example.com"}},
    ]
}


def _export(env: dict[str, str], path: Path) -> list[dict[str, Any]]:
    result = salesdq(env, "quarantine", "export", "--out", path)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_fix_and_redrive_round_trip(stack: dict[str, str], tmp_path: Path) -> None:
    sales = tmp_path / "incomplete.json"
    sales.write_text(json.dumps(INCOMPLETE_FILE))
    uploaded = salesdq(stack, "upload", sales, "--wait", "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    assert {k: json_of(uploaded)["totals"][k] for k in ("records", "stored", "quarantined")} == {
        "records": 4,
        "stored": 1,
        "quarantined": 3,
    }

    exported = _export(stack, tmp_path / "export.jsonl")
    assert sorted(line["index"] for line in exported) == [1, 2, 3]
    assert all(line["attempt"] == 1 and line["reasons"] for line in exported)
    listed = salesdq(stack, "quarantine", "list")
    assert listed.returncode == 0 and "contact-info: missing" in listed.stdout

    for line in exported:  # the operator's fixes; the record without an id gets one
        record = line["record"]
        if line["index"] == 1:
            record["contact-info"] = {"name": "Bruce Wayne", "email": "bruce@example.com"}
        elif line["index"] == 2:
            record["order-info"]["qty"] = "1"
        else:
            record["order-info"]["OrderId"] = "4"
    fixed = _write(tmp_path / "fixed.jsonl", exported)

    redriven = salesdq(stack, "redrive", fixed, "--wait", "--json")
    assert redriven.returncode == 0, redriven.stdout + redriven.stderr
    outcome = json_of(redriven)
    assert len(outcome["redriven"]) == 3 and outcome["refused"] == []
    assert outcome["totals"]["stored"] == 3 and outcome["totals"]["quarantined"] == 0

    assert json_of(salesdq(stack, "quarantine", "list", "--json")) == []
    chain = [e["event"] for e in json_of(salesdq(stack, "history", "2", "--json"))]
    assert chain == ["record.quarantined", "record.redriven", "record.stored"]
    assert [e["event"] for e in json_of(salesdq(stack, "history", "4", "--json"))] == [
        "record.redriven",
        "record.stored",
    ]
    report = json_of(salesdq(stack, "report", "--json"))

    # The same redrive again (an operator whose first call timed out on their side): each record is reported
    # as already redriven, with the outcome it ended in; nothing changes, exit 0.
    again = salesdq(stack, "redrive", fixed, "--wait", "--json")
    assert again.returncode == 0, again.stderr
    assert json_of(again)["redriven"] == [] and json_of(again)["refused"] == []
    assert sorted(a["outcome"] for a in json_of(again)["already"]) == ["stored", "stored", "stored"]
    assert json_of(salesdq(stack, "report", "--json")) == report  # nothing changed
    assert [e["event"] for e in json_of(salesdq(stack, "history", "2", "--json"))] == chain


def _upload_quarantined(env: dict[str, str], tmp_path: Path, name: str, records: list[Any]) -> list[dict[str, Any]]:
    """Upload records the contract quarantines, every one; their exported lines, in file order."""
    path = tmp_path / name
    path.write_text(json.dumps({"orders": records}))
    uploaded = salesdq(env, "upload", path, "--wait", "--json")
    assert uploaded.returncode == 0 and json_of(uploaded)["totals"]["quarantined"] == len(records), uploaded.stdout
    lines = [line for line in _export(env, tmp_path / f"{name}.export.jsonl") if line["file"].endswith(name)]
    return sorted(lines, key=lambda line: line["index"])


def _chain(env: dict[str, str], order_id: str) -> list[str]:
    return [e["event"] for e in json_of(salesdq(env, "history", order_id, "--json"))]


def test_a_line_with_only_an_id_is_refused_and_the_record_kept(stack: dict[str, str], tmp_path: Path) -> None:
    """Once `{"id": ...}` alone was redriven (exit 0): the item became `record: null` and the record was gone
    from `quarantine list` and `quarantine export`."""
    records = [order("only-id", qty=0)]
    [line] = _upload_quarantined(stack, tmp_path, "only-id.json", records)
    result = salesdq(stack, "redrive", _write(tmp_path / "ids.jsonl", [{"id": line["id"]}]), "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[:2] == [
        "redriven: 0, refused: 1, already redriven: 0",
        f'  refused {line["id"]}: no_record: the line has no "record": send the corrected record, as '
        "`quarantine export` writes it",
    ]
    [kept] = [again for again in _export(stack, tmp_path / "after.jsonl") if again["id"] == line["id"]]
    assert kept == line and canonical(kept["record"]) == canonical(records[0])  # as uploaded, untouched
    assert _chain(stack, "only-id") == ["record.quarantined"]


def test_each_correction_of_a_quarantined_record_is_judged_whatever_export_it_came_from(
    stack: dict[str, str], tmp_path: Path
) -> None:
    """Once a second correction from the same export (the first one still invalid, quarantined again) was
    `already redriven: quarantined`, exit 0, and never judged."""
    [line] = _upload_quarantined(stack, tmp_path, "twice.json", [order("twice", email="nope")])
    fix1 = {**line, "record": order("twice", email="still-nope")}
    fix2 = {**line, "record": order("twice", email="twice@example.com")}

    first = salesdq(stack, "redrive", _write(tmp_path / "fix1.jsonl", [fix1]), "--wait", "--json")
    assert first.returncode == 0 and json_of(first)["totals"]["quarantined"] == 1, first.stdout + first.stderr
    second = salesdq(stack, "redrive", _write(tmp_path / "fix2.jsonl", [fix2]), "--wait", "--json")
    assert second.returncode == 0, second.stdout + second.stderr
    assert json_of(second)["redriven"] == [line["id"]] and json_of(second)["totals"]["stored"] == 1
    redriven_twice = ["record.quarantined", "record.redriven", "record.quarantined", "record.redriven"]
    assert _chain(stack, "twice") == [*redriven_twice, "record.stored"]

    # The valid fix again: already redriven, stored, exit 0. The first, invalid one again: refused, exit 1.
    again = salesdq(stack, "redrive", tmp_path / "fix2.jsonl", "--json")
    assert again.returncode == 0 and [a["outcome"] for a in json_of(again)["already"]] == ["stored"]
    stale = salesdq(stack, "redrive", tmp_path / "fix1.jsonl")
    assert stale.returncode == 1
    assert stale.stdout.splitlines()[1].startswith(
        f"  refused {line['id']}: not_quarantined: not quarantined any more: stored"
    )
    assert _chain(stack, "twice") == [*redriven_twice, "record.stored"]


def test_of_two_different_corrections_sent_at_once_the_second_is_refused(stack: dict[str, str], tmp_path: Path) -> None:
    """Once the second of two concurrent redrives with different fixes said `already redriven: stored`, exit 0."""
    [line] = _upload_quarantined(stack, tmp_path, "race.json", [order("race", qty=0)])
    ours = _write(tmp_path / "ours.jsonl", [{**line, "record": order("race", qty=1)}])
    theirs = _write(tmp_path / "theirs.jsonl", [{**line, "record": order("race", qty=2)}])
    first = salesdq(stack, "redrive", ours, "--json")
    second = salesdq(stack, "redrive", theirs, "--json")
    assert first.returncode == 0 and json_of(first)["redriven"] == [line["id"]]
    assert second.returncode == 1 and json_of(second)["redriven"] == []
    assert [r["error"] for r in json_of(second)["refused"]] in (["in_progress"], ["not_quarantined"])
    # the first one again follows its batch to its end (when it has not ended already)
    followed = json_of(salesdq(stack, "redrive", ours, "--wait", "--json"))
    assert [a["outcome"] for a in followed["already"]] in (["in progress"], ["stored"])
    assert followed.get("totals", {"stored": 1})["stored"] == 1, followed
    assert _chain(stack, "race") == ["record.quarantined", "record.redriven", "record.stored"]


def test_refusals_an_operator_can_act_on(stack: dict[str, str], tmp_path: Path) -> None:
    sales = tmp_path / "refusals.json"
    sales.write_text(
        json.dumps(
            {
                "orders": [
                    {
                        "order-info": {"OrderId": "r1", "item-id": "1", "qty": 1},
                        "contact-info": {"name": "A", "email": "a@b.co"},
                    },
                    {
                        "order-info": {"OrderId": "r2", "item-id": "2", "qty": 1},
                        "contact-info": {"name": "B", "email": "bad"},
                    },
                    {
                        "order-info": {"OrderId": "r3", "item-id": "3", "qty": 0},
                        "contact-info": {"name": "C", "email": "c@b.co"},
                    },
                    {
                        "order-info": {"OrderId": "r4", "item-id": "4", "qty": -2},
                        "contact-info": {"name": "D", "email": "d@b.co"},
                    },
                ]
            }
        )
    )
    assert salesdq(stack, "upload", sales, "--wait").returncode == 0
    lines = {
        line["order_id"]: line
        for line in _export(stack, tmp_path / "export.jsonl")
        if line["file"].endswith("refusals.json")
    }
    conflict, unchanged, still_bad = lines["r2"], lines["r3"], lines["r4"]
    conflict["record"]["order-info"]["OrderId"] = "r1"  # collides with a different stored order
    conflict["record"]["contact-info"]["email"] = "b@b.co"
    still_bad["record"]["order-info"]["qty"] = "2.5"  # changed, still invalid
    ghost = {**unchanged, "id": "0000:99"}
    result = salesdq(
        stack, "redrive", _write(tmp_path / "fix.jsonl", [conflict, unchanged, still_bad, ghost]), "--wait", "--json"
    )
    assert result.returncode == 1
    outcome = json_of(result)
    refused = {r["id"]: r["error"] for r in outcome["refused"]}
    assert refused == {conflict["id"]: "conflict", unchanged["id"]: "unchanged", "0000:99": "no_quarantine_item"}
    assert outcome["redriven"] == [still_bad["id"]]
    assert outcome["totals"]["quarantined"] == 1

    after = {m["id"]: m for m in json_of(salesdq(stack, "quarantine", "list", "--json"))}
    assert after[still_bad["id"]]["attempt"] == 2  # back with its attempt raised and the new reason
    assert [r["rule"] for r in after[still_bad["id"]]["reasons"]] == ["positive_whole"]
    assert after[still_bad["id"]]["record"]["order-info"]["qty"] == "2.5"
    assert conflict["id"] in after and unchanged["id"] in after  # refused ones stay in the quarantine queue
    stored = json_of(salesdq(stack, "history", "r1", "--json"))
    assert [e["event"] for e in stored] == ["record.stored"]  # never overwritten


def test_bad_redrive_files(stack: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = salesdq(stack, "redrive", empty)
    assert result.returncode == 2 and "holds no corrections" in result.stderr
    malformed = tmp_path / "malformed.jsonl"
    malformed.write_text('{"id": "a:1", "record": {}}\n{not json\n')
    result = salesdq(stack, "redrive", malformed)
    assert result.returncode == 2 and "malformed.jsonl:2" in result.stderr
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"record": {}}\n')
    result = salesdq(stack, "redrive", missing)
    assert result.returncode == 2 and "missing.jsonl:1" in result.stderr and '"id"' in result.stderr


def test_no_stack_reachable(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }
    result = salesdq(env, "quarantine", "list")
    assert result.returncode == 1
    assert "no salesdq stack reachable" in result.stderr and "salesdq local up" in result.stderr


def test_a_forced_progress_display_leaves_stdout_to_the_json(stack: dict[str, str], tmp_path: Path) -> None:
    sales = tmp_path / "progress.json"
    sales.write_text(
        json.dumps(
            [
                {"order-info": {"OrderId": "p1", "item-id": "1", "qty": 1}, "contact-info": {"name": "A"}},
                {"order-info": {"OrderId": "p2", "item-id": "2", "qty": 1}, "contact-info": {"name": "B"}},
            ]
        )
    )
    uploaded = salesdq(stack, "upload", sales, "--wait", "--json", "--progress", "always")
    assert uploaded.returncode == 0, uploaded.stderr
    assert json_of(uploaded)["totals"]["quarantined"] == 2  # stdout is still exactly one JSON document
    assert "\x1b" not in uploaded.stdout and "Traceback" not in uploaded.stderr

    lines = [line for line in _export(stack, tmp_path / "export.jsonl") if line["file"].endswith("progress.json")]
    for line in lines:
        line["record"]["contact-info"]["email"] = f"{line['order_id']}@example.com"
    redriven = salesdq(
        stack, "redrive", _write(tmp_path / "fix.jsonl", lines), "--wait", "--json", "--progress", "always"
    )
    assert redriven.returncode == 0, redriven.stderr
    assert json_of(redriven)["totals"]["stored"] == 2  # its batch was read to fingerprint it: no failure there
    assert "\x1b" not in redriven.stdout and "Traceback" not in redriven.stderr


def test_local_up_refuses_a_port_in_use_or_out_of_range_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [sys.executable, "-m", "salesdq", "local", "up", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.returncode == 1, busy
    assert busy.stderr.strip() == (
        f"salesdq: port {port} on 127.0.0.1 is not free (Address already in use): choose another with --port"
    )
    assert "ready" not in busy.stdout
    out_of_range = subprocess.run(
        [sys.executable, "-m", "salesdq", "local", "up", "--port", "99999"], capture_output=True, text=True, timeout=60
    )
    assert out_of_range.returncode == 2
    assert "a port is 1 to 65535, got 99999" in out_of_range.stderr


def test_local_up_says_its_state_is_in_memory_and_how_much_work_a_stop_discards(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "salesdq", "local", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner = [process.stdout.readline() for _ in range(4)]
    assert "everything lives in this process's memory" in banner[3], banner
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stdout.read().strip() == "salesdq local stack stopped"


def test_stopping_local_up_with_a_run_in_flight_says_so(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    subprocess.run(
        [sys.executable, "scripts/make_sales_file.py", "--records", "20000", "--out", str(big)], check=True, timeout=60
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "salesdq", "local", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    assert "ready" in process.stdout.readline()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    assert salesdq(env, "upload", big).returncode == 0  # no --wait: the run is still going
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0
    tail = process.stdout.read().strip().splitlines()[-1]
    assert tail == "salesdq local stack stopped with 1 executions still running: their work is lost", tail
