"""validate_chunk: every record ends in exactly one outcome, once, whatever the retries."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from services.contract import CompiledContract, compiler
from services.dal.audit_log import AuditLog
from services.domain import contract, inline
from services.domain.contract import content_hash
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.validate_chunk import validate_chunk

from .conftest import BUCKET, Aws

AT = "2024-03-01T10:00:00.000Z"
FILE_ID = "f" * 64


def order(order_id: str, qty: Any = 1, **extra: Any) -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": qty, **extra},
        "contact-info": {"name": "Ada", "email": "ada@example.com"},
    }


def stage(aws: Aws, records: list[Any], *, chunk: int = 0, first_index: int = 0, **job: Any) -> ChunkJob:
    key = f"staging/exec-1/p00000/c{chunk:07d}.json"
    indexed = [[first_index + i, rec] for i, rec in enumerate(records)]
    aws.stores.inbox.put_json(key, {"records": indexed})
    run = {"file_id": FILE_ID, "file": "incoming/day1.json", "at": AT, "execution": "exec-1", **job}
    return ChunkJob(run=Run.from_payload(run), partition=0, chunk=chunk, key=key)


def by_index(messages: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {m["index"]: m for m in messages}


def test_each_record_gets_exactly_one_outcome(aws):
    records = [
        order("A"),  # 0 stored
        {  # 1 same content as 0, other key order and qty text: duplicate
            "contact-info": {"email": " ada@example.com", "name": "Ada "},
            "order-info": {"qty": "1", "item-id": "SKU", "order_id": "A"},
        },
        order("A", qty=9),  # 2 conflict: quarantined, never overwrites
        order("B", email_typo=True),  # 3 stored (unknown fields kept)
        {**order("C"), "contact-info": {"name": "Bo", "email": "nope"}},  # 4 invalid
        None,  # 5 not an object
    ]
    job = stage(aws, records)

    counts = validate_chunk(job, aws.stores)

    assert counts == {"stored": 2, "duplicate": 1, "quarantined": 3}
    stored = aws.orders()
    assert set(stored) == {"A", "B"}
    assert stored["A"]["order-info"]["qty"] == 1  # the first in file order won
    assert stored["A"]["_source"] == f"{FILE_ID}#0"
    assert stored["A"]["_file"] == "incoming/day1.json"
    assert stored["A"]["_at"] == AT
    assert stored["A"]["_hash"] == content_hash(
        {k: v for k, v in stored["A"].items() if not k.startswith("_") and k != "OrderId"}
    )
    assert stored["B"]["order-info"]["email_typo"] is True

    messages = by_index(aws.messages())
    assert set(messages) == {2, 4, 5}
    for index, message in messages.items():
        assert message["kind"] == "record"
        assert message["id"] == f"{FILE_ID}:{index}"
        assert message["file"] == "incoming/day1.json"
        assert message["file_id"] == FILE_ID
        assert message["attempt"] == 1
        assert message["at"] == AT
        assert message["record"] == records[index]  # the raw record, as it came
        assert "record_ref" not in message
        assert all(set(r) == {"field", "rule", "message"} for r in message["reasons"])
    assert messages[2]["order_id"] == "A"
    assert [r["rule"] for r in messages[2]["reasons"]] == ["conflict"]
    assert "incoming/day1.json" in messages[2]["reasons"][0]["message"]
    assert messages[4]["order_id"] == "C"
    assert [(r["field"], r["rule"]) for r in messages[4]["reasons"]] == [("contact-info.email", "email")]
    assert messages[5]["order_id"] is None
    assert [r["rule"] for r in messages[5]["reasons"]] == ["not_object"]

    audit = aws.audit()
    record_events = sorted((e for e in audit if e["event"].startswith("record.")), key=lambda e: e["index"])
    assert [(e["index"], e["outcome"]) for e in record_events] == [
        (0, "stored"),
        (1, "duplicate"),
        (2, "quarantined"),
        (3, "stored"),
        (4, "quarantined"),
        (5, "quarantined"),
    ]
    assert record_events[5]["pk"] == f"FILE#{FILE_ID}"  # no order id: filed under the file
    marker = aws.stores.audit.get(f"FILE#{FILE_ID}", f"CHUNK#{AT}#00000#0000000")
    assert marker["counts"] == counts
    assert marker["outcomes"] == [
        [0, "stored"],
        [1, "duplicate"],
        [2, "quarantined", "conflict"],
        [3, "stored"],
        [4, "quarantined", "email"],
        [5, "quarantined", "not_object"],
    ]


def test_an_order_stored_by_an_earlier_file_is_duplicate_or_conflict(aws):
    validate_chunk(stage(aws, [order("A"), order("B")], file_id="e" * 64, file="incoming/old.json"), aws.stores)
    job = stage(aws, [order("A"), order("B", qty=2)], chunk=1)

    assert validate_chunk(job, aws.stores) == {"stored": 0, "duplicate": 1, "quarantined": 1}

    assert aws.orders()["B"]["order-info"]["qty"] == 1
    assert aws.orders()["B"]["_file"] == "incoming/old.json"
    (message,) = aws.messages()
    assert message["reasons"][0]["rule"] == "conflict"
    assert "incoming/old.json" in message["reasons"][0]["message"]


def test_oversize_record_is_quarantined_by_reference(aws):
    big = order("BIG", note="x" * 360_000)  # fine by the contract, too big for DynamoDB
    job = stage(aws, [order("A"), big])

    assert validate_chunk(job, aws.stores) == {"stored": 1, "duplicate": 0, "quarantined": 1}

    assert set(aws.orders()) == {"A"}
    (message,) = aws.messages()
    assert message["index"] == 1
    assert message["order_id"] == "BIG"
    assert [(r["field"], r["rule"]) for r in message["reasons"]] == [("$", "oversize")]
    assert "limited to 350,000 bytes" in message["reasons"][0]["message"]  # the limit applied, not DynamoDB's
    assert "record" not in message
    ref_key = f"quarantine/records/{FILE_ID}/000000001.json"
    assert message["record_ref"] == {"bucket": BUCKET, "key": ref_key}
    assert json.loads(aws.objects(ref_key)[ref_key]) == big


def test_large_invalid_record_travels_by_reference_and_small_one_inline(aws):
    large = {**order("L", note="y" * (inline.MAX_INLINE_BYTES + 10)), "contact-info": {}}
    small = {**order("S", note="y" * 50_000), "contact-info": {}}
    validate_chunk(stage(aws, [large, small]), aws.stores)
    messages = by_index(aws.messages())
    assert "record" not in messages[0]
    assert json.loads(next(iter(aws.objects("quarantine/records/").values()))) == large
    assert messages[1]["record"] == small
    assert "record_ref" not in messages[1]


def test_a_record_just_under_the_store_limit_is_stored(aws):
    job = stage(aws, [order("M", note="z" * 300_000)])
    assert validate_chunk(job, aws.stores) == {"stored": 1, "duplicate": 0, "quarantined": 0}
    assert len(aws.orders()["M"]["order-info"]["note"]) == 300_000


def snapshot(aws: Aws) -> tuple[Any, ...]:
    return (
        aws.orders(),
        sorted((e["pk"], e["sk"]) for e in aws.audit()),
        sorted(json.dumps(m, sort_keys=True) for m in aws.messages()),
    )


def test_processing_a_chunk_twice_changes_nothing(aws):
    job = stage(aws, [order("A"), order("A"), order("A", qty=3), "junk"])
    first = validate_chunk(job, aws.stores)
    before = snapshot(aws)

    second = validate_chunk(job, aws.stores)

    assert second == first == {"stored": 1, "duplicate": 1, "quarantined": 2}
    assert snapshot(aws) == before
    assert len(aws.messages()) == 2  # the quarantine queue was not sent to again


def test_retry_after_crash_before_the_marker_counts_own_records_as_stored(aws, monkeypatch):
    job = stage(aws, [order("A"), order("B"), order("A", qty=5)])
    real_append = AuditLog.append

    def crash_on_marker(self: AuditLog, items: Any) -> None:
        items = list(items)
        if any(i["event"] == "chunk.processed" for i in items):
            raise RuntimeError("Lambda timed out")
        real_append(self, items)

    monkeypatch.setattr(AuditLog, "append", crash_on_marker)
    with pytest.raises(RuntimeError):
        validate_chunk(job, aws.stores)
    assert set(aws.orders()) == {"A", "B"}  # the orders were written before the crash
    assert aws.stores.audit.get(f"FILE#{FILE_ID}", f"CHUNK#{AT}#00000#0000000") is None
    monkeypatch.setattr(AuditLog, "append", real_append)

    retried = validate_chunk(job, aws.stores)

    assert retried == {"stored": 2, "duplicate": 0, "quarantined": 1}  # not "duplicate" of itself
    outcomes = {e["index"]: e["outcome"] for e in aws.audit() if e["event"].startswith("record.")}
    assert outcomes == {0: "stored", 1: "stored", 2: "quarantined"}
    assert aws.orders()["A"]["order-info"]["qty"] == 1


def _poison_on(monkeypatch: pytest.MonkeyPatch, marker: str, error: Exception) -> None:
    """The contract raises (deterministically, like a validator bug) on records holding `marker`."""
    real = CompiledContract.check

    def check(self: CompiledContract, record: Any, **kwargs: Any) -> contract.Verdict:
        if marker in json.dumps(record, default=str):
            raise error
        return real(self, record, **kwargs)

    monkeypatch.setattr(CompiledContract, "check", check)


def test_a_poison_record_is_quarantined_alone_and_the_rest_of_its_chunk_is_processed(aws, monkeypatch):
    _poison_on(monkeypatch, "POISON", KeyError("boom"))
    records = [order("A"), order("B"), {**order("P"), "note": "POISON"}, order("A", qty=2), order("C"), "junk"]
    job = stage(aws, records)

    counts = validate_chunk(job, aws.stores)

    assert counts == {"stored": 3, "duplicate": 0, "quarantined": 3}
    assert set(aws.orders()) == {"A", "B", "C"}
    assert aws.orders()["A"]["order-info"]["qty"] == 1  # the first in file order, across the split halves
    messages = by_index(aws.messages())
    assert set(messages) == {2, 3, 5}
    (poison,) = messages[2]["reasons"]
    assert poison["rule"] == "processing_failed" and poison["field"] == "$"
    assert poison["message"] == "the validator failed on this record: KeyError: 'boom'"
    assert messages[2]["order_id"] == "P" and messages[2]["record"] == records[2]
    assert [r["rule"] for r in messages[3]["reasons"]] == ["conflict"]
    events = {e["index"]: e["outcome"] for e in aws.audit() if e["event"].startswith("record.")}
    assert events == {0: "stored", 1: "stored", 2: "quarantined", 3: "quarantined", 4: "stored", 5: "quarantined"}


def test_an_aws_failure_fails_the_chunk_and_becomes_no_records_outcome(aws, monkeypatch):
    from botocore.exceptions import ClientError

    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "Op")
    _poison_on(monkeypatch, "B", throttled)  # as if DynamoDB throttled while this record was written
    job = stage(aws, [order("A"), order("B")])

    with pytest.raises(ClientError):
        validate_chunk(job, aws.stores)

    assert aws.messages() == []
    assert [e for e in aws.audit() if e["event"].startswith(("record.", "chunk."))] == []


def test_a_poison_records_reason_is_cut(aws, monkeypatch):
    _poison_on(monkeypatch, "A", ValueError("x" * 5000))
    validate_chunk(stage(aws, [order("A")]), aws.stores)
    (message,) = aws.messages()
    assert len(message["reasons"][0]["message"]) == 500


EVERY_FIELD_RULE = [
    {"order-info": {"OrderId": "R1", "item-id": " ", "qty": "0"}, "contact-info": {"name": True, "email": "nope"}},
    {"order-info": {"OrderId": "R2", "qty": None}, "contact-info": {"email": 5}},
    {"order-info": {"OrderId": "R3", "item-id": "SKU", "qty": 1}, "contact-info": {"name": "Ada"}},
]


def _rule_pairs(aws: Aws) -> tuple[list[list[tuple[str, str]]], list[list[tuple[str, str]]], set[str]]:
    queued = sorted(aws.messages(), key=lambda m: m["index"])
    events = sorted((e for e in aws.audit() if e["event"] == "record.quarantined"), key=lambda e: e["index"])
    pairs = [[(r["field"], r["rule"]) for r in m["reasons"]] for m in queued]
    audited = [[(r["field"], r["rule"]) for r in e["reasons"]] for e in events]
    messages = {r["message"] for m in queued for r in m["reasons"]}
    return pairs, audited, messages


def test_rewording_every_message_changes_no_rule_in_the_quarantine_queue_or_the_audit_log(aws, monkeypatch):
    validate_chunk(stage(aws, EVERY_FIELD_RULE), aws.stores)
    queued_rules, audit_rules, messages = _rule_pairs(aws)
    assert queued_rules == audit_rules
    assert {rule for pairs in queued_rules for _, rule in pairs} >= {
        "blank",
        "positive_whole",
        "type",
        "email",
        "missing",
    }

    original = compiler.Failure  # the compiled contract's field checks raise these
    monkeypatch.setattr(compiler, "Failure", lambda rule, message: original(rule, f"ZZ {message.upper()[::-1]}"))
    for table in ("salesdq-orders", "salesdq-audit"):  # a fresh run of the same chunk: a new file, same records
        for item in aws.ddb.scan(TableName=table)["Items"]:
            key = {k: item[k] for k in (("OrderId",) if table == "salesdq-orders" else ("pk", "sk"))}
            aws.ddb.delete_item(TableName=table, Key=key)
    aws.sqs.purge_queue(QueueUrl=aws.queue_url)
    validate_chunk(stage(aws, EVERY_FIELD_RULE), aws.stores)
    reworded_queued, reworded_audit, reworded_messages = _rule_pairs(aws)

    assert reworded_queued == queued_rules
    assert reworded_audit == audit_rules
    assert reworded_messages.isdisjoint(messages)  # every marshmallow-raised message did change


def test_each_records_event_holds_what_rebuilds_its_projection(aws):
    records = [order("A"), order("A"), {**order("B"), "contact-info": {"name": "Bo"}}]
    validate_chunk(stage(aws, records), aws.stores)

    events = {e["index"]: e for e in aws.audit() if e["event"].startswith("record.")}
    stored = aws.orders()["A"]
    assert json.loads(events[0]["item_json"]) == stored  # the order as written, bookkeeping included
    assert events[1]["duplicate_of"] == stored["_source"]
    (message,) = aws.messages()
    quarantined = (events[2]["quarantine_id"], json.loads(events[2]["record_json"]))
    assert quarantined == (message["id"], message["record"]) == (f"{FILE_ID}:2", records[2])


def test_an_ordinary_records_event_stays_under_one_write_unit(aws):
    from salesdq_engine.metering import item_size
    from services.dal._dynamo import to_item

    brief_like = {
        "contact-info": {"name": "Foo Bar", "email": "foobar@test.com"},
        "order-info": {"OrderId": "123456", "item-id": "101", "item-desc": "Item One", "qty": "1"},
    }
    incomplete = {"order-info": {"orderId": "2", "item-id": "102", "item-desc": "Item Two", "qty": "2"}}
    validate_chunk(stage(aws, [brief_like, incomplete]), aws.stores)

    events = [e for e in aws.audit() if e["event"].startswith("record.")]
    assert {e["outcome"] for e in events} == {"stored", "quarantined"}
    for event in events:
        assert item_size(to_item(event)) <= 1024, event  # DynamoDB bills one write unit per started KB


def test_what_parsing_found_travels_in_the_entry_and_quarantines_its_record_alone(aws):
    key = "staging/exec-1/p00000/c0000000.json"
    entries = [
        [0, order("A")],
        [1, order("B", qty=2), {"duplicate_keys": ["order-info.qty"]}],
        [2, order("C")],
    ]
    aws.stores.inbox.put_json(key, {"records": entries})
    job = ChunkJob(
        run=Run(file_id=FILE_ID, file="incoming/d.json", id=AT, execution="exec-1"), partition=0, chunk=0, key=key
    )

    assert validate_chunk(job, aws.stores) == {"stored": 2, "duplicate": 0, "quarantined": 1}
    [message] = aws.messages()
    assert message["index"] == 1 and message["order_id"] == "B"
    assert [(r["field"], r["rule"]) for r in message["reasons"]] == [("order-info.qty", "duplicate_key")]
    assert message["record"] == order("B", qty=2)


def test_records_past_dynamodbs_limits_are_quarantined_each_alone_and_the_rest_stored(aws):
    deep: Any = 1
    for _ in range(32):
        deep = [deep]
    records = [
        order("ok-1", weight=Decimal("9.9999999999999999999999999999999999999E+125"), barcode=10**25, big=2**63),
        order("x" * 2043),  # ORDER#<id> would not fit DynamoDB's partition key
        order("n", weight=Decimal("1E+126")),
        order("k", **{"": 1}),
        order("d", deep=deep),
        order("t", note="\ud800"),
        order("ok-2", note="\ufffe 😀", ratio=Decimal("0.1")),
    ]
    job = stage(aws, records)

    assert validate_chunk(job, aws.stores) == {"stored": 2, "duplicate": 0, "quarantined": 5}
    stored = aws.orders()
    assert set(stored) == {"ok-1", "ok-2"}
    assert stored["ok-1"]["order-info"]["weight"] == Decimal("9.9999999999999999999999999999999999999E+125")
    assert stored["ok-1"]["order-info"]["barcode"] == 10**25 and stored["ok-1"]["order-info"]["big"] == 2**63
    assert stored["ok-2"]["order-info"]["ratio"] == Decimal("0.1")
    messages = by_index(aws.messages())
    assert {i: [r["rule"] for r in m["reasons"]] for i, m in messages.items()} == {
        1: ["key_size"],
        2: ["number_range"],
        3: ["attribute_name"],
        4: ["nesting_depth"],
        5: ["invalid_text"],
    }
    assert messages[1]["order_id"] is None
    assert messages[5]["record"] == records[5]
    events = {e["index"]: e for e in aws.audit() if e.get("event", "").startswith("record.")}
    assert events[1]["pk"].startswith("FILE#")  # no ORDER#<id> key is built from an id too long for one
