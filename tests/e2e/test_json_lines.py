"""JSON Lines: every line is its own record. A line salesdq cannot read as a JSON value (not JSON, NaN, a number
of more than 10,000 digits, nesting past 100 levels) is quarantined alone, with its raw text and a reason
naming its line, and the file goes on; an operator finds it in the quarantine queue, corrects it and redrives it."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    Line,
    Oracle,
    assert_matches_oracle,
    assert_orders_match,
    local_up,
    order,
    reason_pairs,
    salesdq,
    write_jsonl,
)

pytestmark = pytest.mark.e2e

# the lines, in file order, as written (a Line is written as is); blank lines are no records
BAD = {
    "not-json": Line('{"order-info": {"OrderId": "nj", "item-id": "1", "qty": 1}, oops}'),
    "nan": Line('{"order-info": {"OrderId": "nan", "item-id": "1", "qty": NaN}}'),
    "10001-digits": Line('{"order-info": {"OrderId": "big", "qty": ' + "7" * 10_001 + "}}"),
    "nested-101": Line('{"deep": ' + "[" * 101 + "]" * 101 + "}"),
    "nested-5000": Line('{"deep": ' + "[" * 5_000 + "]" * 5_000 + "}"),
    "trailing-comma": Line('{"order-info": {"OrderId": "tc", "item-id": "1", "qty": 1},}'),
    "two-values": Line('{"a": 1} {"b": 2}'),
}


def _records() -> list[Any]:
    records: list[Any] = []
    for position, line in enumerate(BAD.values()):
        records += [order(f"ok-{position}"), line]
    return [*records, order("last")]


def test_a_bad_line_is_quarantined_alone_with_its_text_and_line_and_the_file_goes_on(run_cli, data_dir):
    records = _records()
    path = write_jsonl(data_dir, "lines.jsonl", records)
    path.write_text("\n" + path.read_text(encoding="utf-8"), encoding="utf-8")  # a blank first line: line != index

    run = run_cli([path], "--chunk-records", "3")

    assert run.rc == 0
    result = run.file("lines.jsonl")
    assert result["status"] == "completed", result
    assert (result["records"], result["quarantined"]) == (len(records), len(BAD))
    oracle = Oracle()
    assert_matches_oracle(run, "lines.jsonl", oracle.run(records))
    assert_orders_match(run, oracle)
    messages = {m["index"]: m for m in run.record_messages("lines.jsonl")}
    for index, written in enumerate(records):
        if not isinstance(written, Line):
            continue
        message = messages[index]
        assert message["record"] == str(written)  # the raw text, for a person to correct
        [reason] = message["reasons"]
        assert (reason["field"], reason["rule"]) == ("$", "unreadable")
        assert f"(line {index + 2}" in reason["message"], reason  # its line in the file (after the blank one)
        assert message["order_id"] is None


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_an_operator_finds_the_line_in_the_quarantine_corrects_and_redrives_it(tmp_path: Path) -> None:
    fixed = order("j2", item="corrected")
    broken = Line(json.dumps(fixed)[:-1] + ",}")  # a trailing comma: not JSON
    nfd = unicodedata.normalize("NFD", "café-1")
    path = write_jsonl(tmp_path, "day.jsonl", [order("j1"), broken, order(nfd)])

    with local_up() as stack:
        uploaded = _json(salesdq(stack, "upload", path, "--wait", "--json"))
        assert {k: uploaded["totals"][k] for k in ("records", "stored", "quarantined")} == {
            "records": 3,
            "stored": 2,
            "quarantined": 1,
        }
        verified = salesdq(stack, "audit", "verify")  # the log holds the line as the view does
        assert verified.returncode == 0, verified.stdout + verified.stderr
        [item] = _json(salesdq(stack, "quarantine", "list", "--json"))
        assert item["record"] == str(broken) and reason_pairs(item["reasons"]) == {("$", "unreadable")}
        assert "(line 2, column" in item["reasons"][0]["message"]
        listed = salesdq(stack, "quarantine", "list", "--rule", "unreadable")
        assert listed.returncode == 0 and "unreadable" in listed.stdout

        export = tmp_path / "export.jsonl"
        assert salesdq(stack, "quarantine", "export", "--out", export).returncode == 0
        [line] = [json.loads(text) for text in export.read_text(encoding="utf-8").splitlines()]
        assert line["record"] == str(broken)
        line["record"] = json.loads(line["record"].replace(",}", "}"))  # the operator's correction
        corrected = tmp_path / "corrected.jsonl"
        corrected.write_text(json.dumps(line) + "\n", encoding="utf-8")

        redriven = _json(salesdq(stack, "redrive", corrected, "--wait", "--json"))
        assert redriven["totals"]["stored"] == 1 and redriven["refused"] == []
        assert _json(salesdq(stack, "quarantine", "list", "--json")) == []
        verified = salesdq(stack, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        chain = [e["event"] for e in _json(salesdq(stack, "history", "j2", "--json"))]
        assert chain == ["record.redriven", "record.stored"]
        # the NFD id was stored as NFC; history takes the id as a user types it, in either form, untrimmed
        for asked in (" café-1 ", nfd):
            events = _json(salesdq(stack, "history", asked, "--json"))
            assert [e["event"] for e in events] == ["record.stored"], asked
