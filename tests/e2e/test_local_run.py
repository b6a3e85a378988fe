"""`salesdq local run` end to end: the brief's sample, shapes, duplicates, conflicts, chunking, mixed runs."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from salesdq.cli import main

from .helpers import (
    ALIASES,
    MOCK_DATA,
    SAMPLE,
    Oracle,
    assert_accounted,
    assert_matches_oracle,
    assert_orders_match,
    order,
    reason_pairs,
    stored_content,
    write_bytes,
    write_json,
    write_jsonl,
)

pytestmark = pytest.mark.e2e


def _records_of(path: Path) -> list:
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["orders"] if isinstance(document, dict) else document


def test_brief_sample_stores_the_52_complete_orders_and_quarantines_the_48_others(run_cli):
    run = run_cli([SAMPLE])

    assert run.rc == 0
    result = run.file(SAMPLE.name)
    assert (result["status"], result["records"], result["stored"], result["duplicates"], result["quarantined"]) == (
        "completed",
        100,
        52,
        0,
        48,
    )
    assert result["reason"] is None and result["execution"]
    assert run.summary["totals"]["records"] == 100 and run.summary["totals"]["completed"] == 1
    assert {"units", "total_usd", "usd_per_million_records"} <= set(run.summary["usage"])
    assert isinstance(run.summary["elapsed_s"], float)

    outcomes = assert_accounted(run, SAMPLE.name)
    assert Counter(e["outcome"] for e in outcomes.values()) == {"stored": 52, "quarantined": 48}
    for event in outcomes.values():
        assert event["file"].endswith(SAMPLE.name)
        assert event["order_id"] == str(event["index"] + 1)  # the sample numbers its orders 1..100
        if event["outcome"] == "quarantined":
            assert reason_pairs(event["reasons"]) == {("contact-info", "missing")}

    records = _records_of(SAMPLE)
    complete = {r["order-info"]["OrderId"] for r in records if "contact-info" in r}
    assert len(complete) == 52
    orders = run.orders_by_id()
    assert set(orders) == complete
    for order_id, stored in orders.items():
        assert stored["order-info"]["OrderId"] == order_id
        assert isinstance(stored["order-info"]["qty"], int) and stored["order-info"]["qty"] >= 1
        assert not set(stored["order-info"]) & (set(ALIASES) - {"OrderId"})
        assert stored["order-info"]["item-desc"]  # optional fields are kept
    assert len(run.quarantine) == 48
    assert {m["kind"] for m in run.quarantine} == {"record"}
    assert {m["index"] for m in run.quarantine} == {i for i, e in outcomes.items() if e["outcome"] == "quarantined"}
    for message in run.quarantine:
        assert message["record"] == records[message["index"]]  # the record as it came, to fix and resend

    oracle = Oracle()
    assert_matches_oracle(run, SAMPLE.name, oracle.run(records))
    assert_orders_match(run, oracle)
    assert [e["records"] for e in run.file_events("file.completed", SAMPLE.name)] == [100]
    assert any((run.out / "logs").iterdir()), "Lambda logs go to DIR/logs/"


def test_repo_mock_data_every_record_gets_the_outcome_the_rules_predict(run_cli):
    run = run_cli([MOCK_DATA])

    assert run.rc == 0
    records = _records_of(MOCK_DATA)
    oracle = Oracle()
    expected = oracle.run(records)
    assert_matches_oracle(run, MOCK_DATA.name, expected)
    assert_orders_match(run, oracle)
    assert run.file(MOCK_DATA.name)["records"] == len(records)
    # the file uses every alias; all of them come out as OrderId
    for stored in run.orders:
        assert set(stored["order-info"]) & set(ALIASES) == {"OrderId"}
        assert stored["OrderId"] == stored["order-info"]["OrderId"]
    non_objects = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    assert non_objects
    outcomes = run.outcomes(MOCK_DATA.name)
    for index in non_objects:
        assert reason_pairs(outcomes[index]["reasons"]) == {("$", "not_object")}


def test_same_bytes_under_another_name_is_a_duplicate_and_writes_nothing_twice(run_cli, data_dir):
    first = shutil.copy(SAMPLE, data_dir / "monday.json")
    second = shutil.copy(SAMPLE, data_dir / "copy-of-monday.json")

    alone = run_cli([Path(first)])
    both = run_cli([Path(first), Path(second)])

    assert both.rc == 0
    copy = both.file("copy-of-monday.json")
    assert copy["status"] == "duplicate"
    assert "monday.json" in copy["reason"]
    assert (copy["records"], copy["stored"], copy["quarantined"]) == (0, 0, 0)
    assert both.summary["totals"]["duplicate"] == 1 and both.summary["totals"]["stored"] == 52
    assert len(both.orders) == len(alone.orders) == 52
    assert len(both.quarantine) == len(alone.quarantine) == 48
    assert len(both.terminal_events()) == len(alone.terminal_events()) == 100
    assert not both.terminal_events("copy-of-monday.json")
    assert len(both.file_events("file.duplicate", "copy-of-monday.json")) == 1
    assert not both.file_events("file.accepted", "copy-of-monday.json")


def test_uploading_the_same_file_twice_in_one_run_is_a_duplicate(run_cli, data_dir):
    path = write_json(data_dir, "orders.json", {"orders": [order("1"), order("2")]})

    run = run_cli([path, path])

    assert run.rc == 0
    assert [f["status"] for f in run.files] == ["completed", "duplicate"]
    assert len(run.orders) == 2 and len(run.terminal_events()) == 2


def test_identical_order_twice_in_a_file_is_stored_once_and_audited_as_duplicate(run_cli, data_dir):
    first = order("7", qty=4, item="101", email="ada@example.com")
    # same content once normalized: alias, qty as text, padding, key order
    second = {
        "contact-info": {"email": " ada@example.com ", "name": "Ada Lovelace "},
        "order-info": {"qty": " 4", "item-desc": "Item", "item-id": 101, "order_id": " 7 "},
    }
    path = write_json(data_dir, "twice.json", {"orders": [first, second]})

    run = run_cli([path])

    assert run.rc == 0
    result = run.file("twice.json")
    assert (result["stored"], result["duplicates"], result["quarantined"]) == (1, 1, 0)
    outcomes = assert_accounted(run, "twice.json")
    assert [outcomes[0]["outcome"], outcomes[1]["outcome"]] == ["stored", "duplicate"]
    assert outcomes[1]["order_id"] == "7"
    assert run.quarantine == []
    assert [o["OrderId"] for o in run.orders] == ["7"]
    assert stored_content(run.orders[0])["order-info"]["qty"] == 4


def test_conflicting_order_in_a_file_keeps_the_first_and_quarantines_the_later(run_cli, data_dir):
    first = order("9", item="101", qty="1")
    later = order("9", item="202", qty="3")
    path = write_json(data_dir, "conflict.json", [first, later])

    run = run_cli([path])

    assert run.rc == 0
    outcomes = assert_accounted(run, "conflict.json")
    assert outcomes[0]["outcome"] == "stored"
    assert outcomes[1]["outcome"] == "quarantined"
    assert reason_pairs(outcomes[1]["reasons"]) == {("order-info.OrderId", "conflict")}
    assert "9" in outcomes[1]["reasons"][0]["message"]
    [stored] = run.orders
    assert (stored["order-info"]["item-id"], stored["order-info"]["qty"]) == ("101", 1)
    [message] = run.quarantine
    assert message["index"] == 1 and message["record"] == later


def test_first_in_file_order_wins_when_the_records_land_in_different_chunks(run_cli, data_dir):
    a = {"item": "A-item", "qty": "1"}
    b = {"item": "B-item", "qty": "2"}
    records = [order("X", **a), order("X", **a)]  # fills X's first chunk of 2
    records += [order(f"f{i}") for i in range(6)]
    records += [order("X", **b), order("X", **a), order("X", **b)]
    records += [order("Y", **b), order("Y", **b)]  # the winner is whoever comes first, not some content
    records += [order(f"g{i}") for i in range(6)]
    records += [order("Y", **a), order("Y", **b), order("Y", **a)]
    path = write_json(data_dir, "chunked.json", {"orders": records})

    run = run_cli([path], "--chunk-records", "2")

    assert run.rc == 0
    oracle = Oracle()
    assert_matches_oracle(run, "chunked.json", oracle.run(records))
    assert_orders_match(run, oracle)
    orders = run.orders_by_id()
    assert orders["X"]["order-info"]["item-id"] == "A-item"
    assert orders["Y"]["order-info"]["item-id"] == "B-item"
    outcomes = run.outcomes("chunked.json")
    conflicts = sorted(i for i, e in outcomes.items() if e["outcome"] == "quarantined")
    assert conflicts == [8, 10, 19, 21]
    assert all(reason_pairs(outcomes[i]["reasons"]) == {("order-info.OrderId", "conflict")} for i in conflicts)

    # the proof is only as good as the layout: the first X and Y are in other chunks than their conflicts
    chunk_of = {}
    for event in run.audit:
        if event.get("event") == "chunk.processed":
            assert len(event["outcomes"]) <= 2
            for entry in event["outcomes"]:
                chunk_of[entry[0]] = event["sk"]
    assert sorted(chunk_of) == list(range(len(records)))
    assert chunk_of[0] != chunk_of[8] and chunk_of[0] != chunk_of[10]
    assert chunk_of[13] != chunk_of[19] and chunk_of[13] != chunk_of[21]


def test_a_conflict_with_an_order_from_an_earlier_file_never_overwrites_it(run_cli, data_dir):
    monday = write_json(data_dir, "monday.json", [order("1", item="101"), order("2", item="102")])
    tuesday = write_jsonl(data_dir, "tuesday.jsonl", [order("1", item="999"), order("2", item="102"), order("3")])

    run = run_cli([monday, tuesday])

    assert run.rc == 0
    outcomes = assert_accounted(run, "tuesday.jsonl")
    assert [outcomes[i]["outcome"] for i in range(3)] == ["quarantined", "duplicate", "stored"]
    assert reason_pairs(outcomes[0]["reasons"]) == {("order-info.OrderId", "conflict")}
    assert "monday.json" in outcomes[0]["reasons"][0]["message"]
    orders = run.orders_by_id()
    assert sorted(orders) == ["1", "2", "3"]
    assert orders["1"]["order-info"]["item-id"] == "101"
    assert orders["1"]["_file"].endswith("monday.json")


@pytest.mark.parametrize(
    "shape",
    ["wrapped", "orders-not-first", "array", "jsonl", "jsonl-in-json", "bom", "pretty", "crlf-jsonl"],
)
def test_every_accepted_shape_yields_the_same_records(run_cli, data_dir, shape):
    records = [order("1"), None, order("2", qty=0), order("3", alias="order-id"), order("1")]
    if shape == "wrapped":
        path = write_json(data_dir, "f.json", {"orders": records})
    elif shape == "orders-not-first":
        path = write_json(data_dir, "f.json", {"batch": "b-1", "orders": records, "count": 5})
    elif shape == "array":
        path = write_json(data_dir, "f.json", records)
    elif shape == "jsonl":
        path = write_jsonl(data_dir, "f.jsonl", records)
    elif shape == "jsonl-in-json":  # several top-level objects in a .json file
        records = [r for r in records if r is not None]
        path = write_jsonl(data_dir, "f.json", records)
    elif shape == "bom":
        path = write_bytes(data_dir, "f.json", b"\xef\xbb\xbf" + json.dumps({"orders": records}).encode())
    elif shape == "pretty":
        path = write_bytes(data_dir, "f.json", json.dumps({"orders": records}, indent=4).encode())
    else:
        path = write_bytes(data_dir, "f.jsonl", b"".join(json.dumps(r).encode() + b"\r\n\r\n" for r in records))

    run = run_cli([path])

    assert run.rc == 0, run.summary
    oracle = Oracle()
    assert_matches_oracle(run, path.name, oracle.run(records))
    assert_orders_match(run, oracle)
    assert sorted(run.orders_by_id()) == ["1", "3"]


def test_one_record_per_chunk_still_accounts_for_every_record(run_cli, data_dir):
    records = []
    for i in range(30):
        kind = i % 6
        if kind == 0:
            records.append(order(str(i)))
        elif kind == 1:
            records.append(order(str(i - 1)))  # identical to the previous: duplicate
        elif kind == 2:
            records.append(order(str(i - 2), item="other"))  # conflict with i-2
        elif kind == 3:
            records.append(order(str(i), email="nope"))
        elif kind == 4:
            records.append(None)
        else:
            records.append(order(str(i), alias="orderId", qty=" +3 "))
    path = write_jsonl(data_dir, "thirty.jsonl", records)

    run = run_cli([path], "--chunk-records", "1")

    assert run.rc == 0
    result = run.file("thirty.jsonl")
    assert result["records"] == 30
    oracle = Oracle()
    assert_matches_oracle(run, "thirty.jsonl", oracle.run(records))
    assert_orders_match(run, oracle)
    chunks = [e for e in run.audit if e.get("event") == "chunk.processed"]
    assert len(chunks) == 30 and all(len(c["outcomes"]) == 1 for c in chunks)


def test_a_good_file_and_a_rejected_file_both_appear_and_the_run_exits_1(run_cli, data_dir):
    bad = write_bytes(data_dir, "broken.json", b'{"orders": [{"order-info": ')
    good = write_json(data_dir, "good.json", [order("1"), order("2", email="bad")])

    run = run_cli([bad, good])

    assert run.rc == 1
    assert [f["status"] for f in run.files] == ["rejected", "completed"]
    assert "truncated" in run.file("broken.json")["reason"]
    assert (run.file("good.json")["stored"], run.file("good.json")["quarantined"]) == (1, 1)
    assert run.summary["totals"]["rejected"] == 1 and run.summary["totals"]["completed"] == 1
    assert [o["OrderId"] for o in run.orders] == ["1"]
    assert len(run.file_messages("broken.json")) == 1 and len(run.record_messages("good.json")) == 1


def test_table_output_lists_every_file_and_a_total(capsys, data_dir):
    bad = write_bytes(data_dir, "broken.json", b"not json at all")
    good = write_json(data_dir, "good.json", [order("1"), order("2"), None])

    rc = main(["local", "run", str(good), str(bad), "--progress", "never"])

    out = capsys.readouterr().out
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["FILE", "STATUS"]
    good_line = next(line for line in lines if line.startswith("good.json"))
    assert good_line.split()[:6] == ["good.json", "completed", "3", "2", "0", "1"]
    bad_line = next(line for line in lines if line.startswith("broken.json"))
    assert bad_line.split()[1] == "rejected" and "not valid JSON" in bad_line
    assert any(line.startswith("total") and "2 files" in line for line in lines)
