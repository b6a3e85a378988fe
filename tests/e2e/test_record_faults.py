"""Records that break the contract: quarantined one by one, each with the fields and rules it broke."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import local_run
from salesdq.operators.progress import Progress
from salesdq_engine import Engine

from .helpers import Oracle, Run, assert_accounted, assert_matches_oracle, order, reason_pairs, write_bytes, write_json

pytestmark = pytest.mark.e2e


def _without(section: str, key: str, **kwargs: Any) -> dict[str, Any]:
    record = order("w", **kwargs)
    del record[section][key]
    return record


# record, the (field, rule) pairs it must be quarantined with, a phrase of one message
FAULTS: list[tuple[str, Any, set[tuple[str, str]], str]] = [
    ("null", None, {("$", "not_object")}, "null"),
    ("number", 42, {("$", "not_object")}, "number"),
    ("float", 2.5, {("$", "not_object")}, "number"),
    ("string", "order 7", {("$", "not_object")}, "string"),
    ("array", [order("a1")], {("$", "not_object")}, "array"),
    ("boolean", True, {("$", "not_object")}, "boolean"),
    ("empty-object", {}, {("order-info", "missing"), ("contact-info", "missing")}, "required"),
    ("no-contact", {"order-info": order("nc")["order-info"]}, {("contact-info", "missing")}, "required"),
    ("no-order-info", {"contact-info": order()["contact-info"]}, {("order-info", "missing")}, "required"),
    ("order-info-list", {**order(), "order-info": ["x"]}, {("order-info", "type")}, "object"),
    ("contact-info-string", {**order("cs"), "contact-info": "ada"}, {("contact-info", "type")}, "object"),
    ("no-order-id", _without("order-info", "OrderId"), {("order-info.OrderId", "missing")}, "order id"),
    ("blank-order-id", order("   "), {("order-info.OrderId", "blank")}, "blank"),
    ("bool-order-id", order(True), {("order-info.OrderId", "type")}, "order id"),
    ("float-order-id", order(1.5), {("order-info.OrderId", "type")}, "order id"),
    (
        "ambiguous-aliases",
        {**order("1"), "order-info": {**order("1")["order-info"], "order_id": "2"}},
        {("order-info.OrderId", "ambiguous")},
        "different order ids",
    ),
    ("no-item-id", _without("order-info", "item-id"), {("order-info.item-id", "missing")}, "required"),
    ("blank-item-id", order("bi", item="  "), {("order-info.item-id", "blank")}, "blank"),
    ("null-item-id", order("ni", item=None), {("order-info.item-id", "missing")}, "required"),
    ("no-qty", _without("order-info", "qty"), {("order-info.qty", "missing")}, "required"),
    ("qty-zero", order("q0", qty=0), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-zero-text", order("q0t", qty="0"), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-negative", order("qn", qty=-1), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-negative-text", order("qnt", qty="-1"), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-fraction", order("qf", qty=2.5), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-fraction-text", order("qft", qty="2.5"), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-word", order("qw", qty="abc"), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("qty-bool", order("qb", qty=True), {("order-info.qty", "positive_whole")}, "positive whole"),
    ("no-name", _without("contact-info", "name"), {("contact-info.name", "missing")}, "required"),
    ("blank-name", order("bn", name=" \t"), {("contact-info.name", "blank")}, "blank"),
    ("object-name", order("on", name={"first": "Ada"}), {("contact-info.name", "type")}, "string"),
    ("no-email", _without("contact-info", "email"), {("contact-info.email", "missing")}, "required"),
    ("bad-email", order("be", email="not-an-email"), {("contact-info.email", "email")}, "email"),
    ("email-no-domain", order("bd", email="ada@"), {("contact-info.email", "email")}, "email"),
    ("email-number", order("en", email=12), {("contact-info.email", "email")}, "email"),
    (
        "everything-wrong",
        {"order-info": {"orderId": "", "item-id": "", "qty": "-3"}, "contact-info": {"name": "", "email": "x"}},
        {
            ("order-info.OrderId", "blank"),
            ("order-info.item-id", "blank"),
            ("order-info.qty", "positive_whole"),
            ("contact-info.name", "blank"),
            ("contact-info.email", "email"),
        },
        "blank",
    ),
]


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, list[Any]]:
    """One file: a complete record between every two faulty ones, through the CLI path's local_run."""
    directory = tmp_path_factory.mktemp("record-faults")
    records: list[Any] = []
    for position, (_, record, _, _) in enumerate(FAULTS):
        records += [record, order(f"ok-{position}")]
    path = write_json(directory, "faults.json", {"orders": records})
    summary = local_run([path], out=directory / "out", progress=Progress(), chunk_records=7)
    return Run(0, summary, directory / "out"), records


@pytest.mark.parametrize(("case", "record", "pairs", "phrase"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_faulty_record_is_quarantined_with_per_field_reasons(faults_run, case, record, pairs, phrase):
    run, _ = faults_run
    index = [f[0] for f in FAULTS].index(case) * 2
    outcomes = run.outcomes("faults.json")
    event = outcomes[index]
    assert event["outcome"] == "quarantined"
    assert reason_pairs(event["reasons"]) == pairs
    assert any(phrase in r["message"] for r in event["reasons"]), event["reasons"]
    [message] = [m for m in run.record_messages("faults.json") if m["index"] == index]
    assert reason_pairs(message["reasons"]) == pairs
    assert message["record"] == record  # as it came, not normalized
    assert outcomes[index + 1]["outcome"] == "stored"  # its neighbour is not dragged along


def test_faulty_records_do_not_stop_the_rest_of_the_file(faults_run):
    run, records = faults_run
    result = run.file("faults.json")
    assert (result["records"], result["stored"], result["quarantined"]) == (len(records), len(FAULTS), len(FAULTS))
    assert_matches_oracle(run, "faults.json", Oracle().run(records))
    assert sorted(o["OrderId"] for o in run.orders) == sorted(f"ok-{i}" for i in range(len(FAULTS)))
    [completed] = run.file_events("file.completed", "faults.json")
    assert sum(completed["failures_by_rule"].values()) >= len(FAULTS)


def test_records_with_faults_still_exit_0(run_cli, data_dir):
    path = write_json(data_dir, "some-bad.json", [None, order("1"), order("2", qty="abc")])
    run = run_cli([path])
    assert run.rc == 0
    assert run.file("some-bad.json")["quarantined"] == 2


def test_unknown_fields_are_kept_and_never_a_reason(run_cli, data_dir):
    record = order("u1", item="  101  ", qty="+7", email=" ada@example.com ", gift={"wrap": True}, tags=["a", 1])
    record["order-info"]["colour"] = "teal"
    record["contact-info"]["phone"] = "555-0100"
    path = write_json(data_dir, "extra.json", [record])

    run = run_cli([path])

    [stored] = run.orders
    assert stored["gift"] == {"wrap": True} and stored["tags"] == ["a", 1]
    assert stored["order-info"]["colour"] == "teal" and stored["contact-info"]["phone"] == "555-0100"
    assert (stored["order-info"]["item-id"], stored["order-info"]["qty"]) == ("101", 7)
    assert stored["contact-info"]["email"] == "ada@example.com"


class _Grab(Progress):
    """Reads the quarantined-record objects while the engine is still up."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.objects: dict[str, Any] = {}

    def grab(self, engine: Engine) -> None:
        self.engine = engine

    def done(self) -> None:
        assert self.engine is not None and self.engine.stack is not None
        s3 = self.engine.client("s3")
        listing = s3.list_objects_v2(Bucket=self.engine.stack.bucket, Prefix="quarantine/records/")
        for item in listing.get("Contents", []):
            body = s3.get_object(Bucket=self.engine.stack.bucket, Key=item["Key"])["Body"].read()
            self.objects[item["Key"]] = json.loads(body)
        super().done()


def test_an_oversize_record_is_quarantined_and_travels_by_reference(tmp_path: Path):
    big = order("big", note="x" * 400_000)
    big_invalid = order("big-invalid", qty=0, note="y" * 400_000)
    records = [order("1"), big, order("big"), big_invalid, order("2")]
    path = write_json(tmp_path, "big.json", {"orders": records})
    grab = _Grab()

    summary = local_run([path], out=tmp_path / "out", progress=grab, chunk_records=2, on_engine=grab.grab)

    run = Run(0, summary, tmp_path / "out")
    outcomes = run.outcomes("big.json")
    assert [outcomes[i]["outcome"] for i in range(5)] == ["stored", "quarantined", "stored", "quarantined", "stored"]
    assert reason_pairs(outcomes[1]["reasons"]) == {("$", "oversize")}
    assert "bytes" in outcomes[1]["reasons"][0]["message"]
    assert reason_pairs(outcomes[3]["reasons"]) == {("order-info.qty", "positive_whole")}
    # an oversize record does not claim its order id: the later, storable record with that id is stored
    assert sorted(o["OrderId"] for o in run.orders) == ["1", "2", "big"]
    assert "note" not in run.orders_by_id()["big"]
    messages = {m["index"]: m for m in run.record_messages("big.json")}
    assert sorted(messages) == [1, 3]
    for index in (1, 3):
        ref = messages[index]["record_ref"]  # it travelled by reference...
        assert grab.objects[ref["key"]] == records[index]  # nothing dropped: the whole record is kept
        assert messages[index]["record"] == records[index]  # ...and --out holds its content, however large


def test_a_number_dynamodb_cannot_hold_costs_only_its_own_record(run_cli, data_dir):
    """1e200 is valid JSON but outside DynamoDB's number range: that record, not its chunk, pays for it."""
    path = write_bytes(
        data_dir,
        "numbers.json",
        b"["
        + b",".join(
            [
                json.dumps(order("1")).encode(),
                json.dumps(order("2"))[:-1].encode() + b', "weight": 1e200}',
                json.dumps(order("3")).encode(),
                json.dumps(order("4"))[:-1].encode() + b', "ratio": 1e-200}',
                json.dumps(order("5", weight=1.5)).encode(),
            ]
        )
        + b"]",
    )

    run = run_cli([path])

    assert run.rc == 0
    outcomes = assert_accounted(run, "numbers.json")
    # the neighbours are complete and storable: they are stored whatever their chunk-mates hold
    assert [outcomes[i]["outcome"] for i in (0, 2, 4)] == ["stored", "stored", "stored"]
    assert {"1", "3", "5"} <= {o["OrderId"] for o in run.orders}
    for index in (1, 3):
        event = outcomes[index]
        if event["outcome"] == "quarantined":  # nothing lost, and a reason a person can act on
            assert {r["rule"] for r in event["reasons"]} != {"processing_failed"}, event["reasons"]
            assert all("<class" not in r["message"] for r in event["reasons"]), event["reasons"]
