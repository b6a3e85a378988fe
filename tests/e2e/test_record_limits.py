"""One unusual record never fails or rejects its file: each record past a DynamoDB limit (docs/validation.md,
"Limits") is quarantined alone with its rule, records at the limit are stored, and `--out` writes it all."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from salesdq.cli import main

from .helpers import (
    METADATA,
    Dup,
    Oracle,
    Run,
    assert_matches_oracle,
    assert_orders_match,
    nest,
    order,
    parsed,
    reason_pairs,
    same,
    write_json,
    write_jsonl,
)

pytestmark = pytest.mark.e2e


def with_order_info(order_id: str, **fields: Any) -> dict[str, Any]:
    record = order(order_id)
    record["order-info"].update(fields)
    return record


# name, record as written, the (field, rule) pairs it is quarantined with (empty: it is stored)
CASES: list[tuple[str, Any, set[tuple[str, str]]]] = [
    ("id-1024-bytes", order("x" * 1024), set()),
    ("barcode-10**25", order("b25", barcode=10**25), set()),
    ("qty-2**63", order("q63", qty=2**63), set()),
    ("largest-number", order("mx", weight=Decimal("9.9999999999999999999999999999999999999E+125")), set()),
    ("smallest-number", order("mn", weight=Decimal("-1E-130")), set()),
    ("38-digits", order("d38", code=int("9" * 38)), set()),
    ("23-digit-decimal", order("dec", price=Decimal("12345678901234567890.123")), set()),
    ("key-65535-bytes", order("k65535", **{"k" * 65_535: 1}), set()),
    ("nested-31", order("n31", deep=nest(31)), set()),
    ("valid-unicode", order("uni", note="\ufffe \U0001f600 \u2028 \x00"), set()),
    ("id-2043", order("x" * 2043), {("order-info.OrderId", "key_size")}),
    ("id-1025-bytes", order("é" * 512 + "x"), {("order-info.OrderId", "key_size")}),
    ("39-digits", order("d39", code=int("9" * 39)), {("code", "number_range")}),
    ("1E+126", order("big", weight=Decimal("1E+126")), {("weight", "number_range")}),
    ("1E-131", order("small", weight=Decimal("1E-131")), {("weight", "number_range")}),
    ("1.5e400", order("huge", weight=Decimal("1.5E+400")), {("weight", "number_range")}),
    ("5000-digits", order("d5000", serial=int("7" * 5000)), {("serial", "number_range")}),
    ("empty-key", with_order_info("ek", **{"": 1}), {('order-info.""', "attribute_name")}),
    ("key-65536-bytes", order("k65536", **{"k" * 65_536: 1}), {("k" * 37 + "...", "attribute_name")}),
    ("nested-32", order("n32", deep=nest(32)), {("deep" + "[0]" * 31, "nesting_depth")}),
    ("lone-surrogate", order("ls", note="\ud800"), {("note", "invalid_text")}),
    ("lone-surrogate-key", order("lk", tags={"\udc00": 1}), {("tags.\\udc00", "invalid_text")}),
    (
        "duplicate-key",
        {**order("dk"), "order-info": Dup([("OrderId", "dk"), ("item-id", "1"), ("qty", 1), ("qty", 2)])},
        {("order-info.qty", "duplicate_key")},
    ),
    ("qty-arabic-indic", order("qa", qty="\u0661\u0662"), {("order-info.qty", "positive_whole")}),
    ("qty-fullwidth", order("qf", qty="\uff11\uff12"), {("order-info.qty", "positive_whole")}),
    ("qty-3.0", order("q30", qty=Decimal("3.0")), {("order-info.qty", "positive_whole")}),
    ("qty-1e3", order("q1e3", qty=Decimal("1E+3")), {("order-info.qty", "positive_whole")}),
    ("email-localhost", order("el", email="a@localhost"), {("contact-info.email", "email")}),
    ("email-local-64", order("e64", email="a" * 64 + "@example.com"), set()),
    ("email-local-300", order("e300", email="a" * 300 + "@example.com"), {("contact-info.email", "email")}),
    ("email-domain-256", order("ed", email="a@" + "d" * 60 + ".d" * 97 + ".com"), {("contact-info.email", "email")}),
    *[(f"reserved{name}", order(f"r{name}", **{name: "mine"}), {(name, "reserved_field")}) for name in METADATA],
    ("reserved-OrderId", order("ro", alias="order_id", OrderId="mine"), {("OrderId", "reserved_field")}),
    ("id-zero-width-space", order("\u200b"), {("order-info.OrderId", "control_character")}),
    ("id-rtl-override", order("ab\u202ecd"), {("order-info.OrderId", "control_character")}),
    ("id-newline", order("ab\ncd"), {("order-info.OrderId", "control_character")}),
    ("id-nul", order("ab\x00"), {("order-info.OrderId", "control_character")}),
    ("id-nfd", order("cafe\u0301", item="first"), set()),
    ("id-nfc-is-the-same-order", order("caf\u00e9", item="second"), {("order-info.OrderId", "conflict")}),
]
IDS = [case[0] for case in CASES]


@pytest.fixture(scope="module", params=["orders.json", "lines.jsonl"])
def limits_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, str, list[Any]]:
    """One file: a complete record between every two cases, through `salesdq local run --json --out`."""
    directory = tmp_path_factory.mktemp("limits")
    records: list[Any] = []
    for position, (_, record, _) in enumerate(CASES):
        records += [record, order(f"ok-{position}")]
    name = request.param
    if name.endswith(".jsonl"):
        path = write_jsonl(directory, name, records)
    else:
        path = write_json(directory, name, {"orders": records})
    out = directory / "out"
    rc = main(["local", "run", str(path), "--json", "--out", str(out), "--progress", "never", "--chunk-records", "5"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))  # stdout is pytest's here
    return Run(rc, summary, out), name, records


def test_the_file_completes_and_only_the_records_past_a_limit_are_quarantined(limits_run):
    run, name, records = limits_run
    assert run.rc == 0
    result = run.file(name)
    assert result["status"] == "completed", result
    past = sum(1 for _, _, pairs in CASES if pairs)
    assert (result["records"], result["quarantined"], result["stored"]) == (len(records), past, len(records) - past)
    oracle = Oracle()
    assert_matches_oracle(run, name, oracle.run(records))
    assert_orders_match(run, oracle)


@pytest.mark.parametrize(("case", "record", "pairs"), CASES, ids=IDS)
def test_each_limit_costs_only_its_own_record(limits_run, case, record, pairs):
    run, name, _ = limits_run
    index = IDS.index(case) * 2
    outcomes = run.outcomes(name)
    assert outcomes[index + 1]["outcome"] == "stored"  # its neighbour is not dragged along
    event = outcomes[index]
    if not pairs:
        assert event["outcome"] == "stored", event["reasons"]
        return
    assert event["outcome"] == "quarantined"
    assert reason_pairs(event["reasons"]) == pairs
    [message] = [m for m in run.record_messages(name) if m["index"] == index]
    assert reason_pairs(message["reasons"]) == pairs
    assert same(message.get("record"), parsed(record)) or "record_ref" in message
    if ("order-info.OrderId", "key_size") in pairs:
        assert event["order_id"] is None and message["order_id"] is None
        assert event.get("pk", "FILE#").startswith("FILE#")


def test_out_holds_every_number_and_text_exactly(limits_run):
    run, _, _ = limits_run
    orders = run.orders_by_id()
    assert orders["dec"]["price"] == Decimal("12345678901234567890.123")
    assert orders["b25"]["barcode"] == 10**25 and orders["q63"]["order-info"]["qty"] == 2**63
    assert orders["mx"]["weight"] == Decimal("9.9999999999999999999999999999999999999E+125")
    assert orders["uni"]["note"] == "\ufffe \U0001f600 \u2028 \x00"
    assert orders["x" * 1024]["OrderId"] == "x" * 1024
    text = (run.out / "quarantine.jsonl").read_text(encoding="utf-8")
    assert "7" * 5000 in text and "1.5E+400" in text and "\\ud800" in text
    assert "Traceback" not in (run.out / "summary.json").read_text(encoding="utf-8")
