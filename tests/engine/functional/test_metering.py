"""Metering: the billable units of what passes through a running engine, for salesdq's tables and any other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from salesdq import resources
from salesdq_engine import Engine

from .helpers import pass_machine, start, wait

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


def write_units(engine: Engine, call: Any) -> int:
    before = engine.usage.snapshot()
    call()
    return engine.usage.minus(before).dynamodb_write_units


def test_metering_counts_dynamodb_write_units(engine):
    ddb = engine.client("dynamodb")
    orders, audit = resources.ORDERS.name, resources.AUDIT.name

    def put(table: str, item: dict[str, Any]) -> int:
        return write_units(engine, lambda: ddb.put_item(TableName=table, Item=item))

    assert put(orders, {"OrderId": {"S": "M-1"}, "qty": {"N": "1"}}) == 1
    blob = {"OrderId": {"S": "M-2"}, "blob": {"S": "x" * 3000}}  # 3,013 bytes
    assert put(orders, blob) == 3
    assert put(orders, {"OrderId": {"S": "M-3"}, "blob": {"S": "x" * 1100}}) == 2
    event = {"pk": {"S": "FILE#f"}, "sk": {"S": "EVENT#t#file.accepted"}, "at": {"S": "t"}}
    assert put(audit, event) == 1  # no "day": not in the by-day index
    assert put(audit, {**event, "day": {"S": "2024-01-01"}}) == 2  # base item + its GSI copy
    assert put(audit, {**event, "day": {"S": "2024-01-01"}, "pad": {"S": "p" * 2000}}) == 6

    batch = {
        audit: [
            {"PutRequest": {"Item": {**event, "sk": {"S": "a"}, "day": {"S": "2024-01-01"}}}},
            {"PutRequest": {"Item": {**event, "sk": {"S": "b"}}}},
        ]
    }
    assert write_units(engine, lambda: ddb.batch_write_item(RequestItems=batch)) == 3

    # Transactions bill two units per KB: 1 KB and 3 KB items cost 2 + 6.
    transaction = [
        {"Put": {"TableName": orders, "Item": {"OrderId": {"S": "M-4"}}}},
        {"Put": {"TableName": orders, "Item": {**blob, "OrderId": {"S": "M-5"}}}},
    ]
    assert write_units(engine, lambda: ddb.transact_write_items(TransactItems=transaction)) == 8


def test_metering_counts_reads_sqs_and_s3(engine):
    ddb, sqs, s3 = engine.client("dynamodb"), engine.client("sqs"), engine.client("s3")
    before = engine.usage.snapshot()
    ddb.get_item(TableName=resources.ORDERS.name, Key={"OrderId": {"S": "none"}}, ConsistentRead=True)
    sqs.send_message(QueueUrl=engine.stack.quarantine_queue_url, MessageBody="x" * 100_000)  # two 64 KB chunks
    s3.put_object(Bucket=engine.stack.bucket, Key="meter/a", Body=b"1")
    s3.get_object(Bucket=engine.stack.bucket, Key="meter/a")
    delta = engine.usage.minus(before)
    assert delta.dynamodb_read_units == 1  # a missing item still costs the minimum
    assert delta.sqs_requests == 2
    assert delta.s3_class_a_requests == 1
    assert delta.s3_class_b_requests == 1


def test_metering_bills_a_batch_get_per_requested_key(engine):
    ddb, orders = engine.client("dynamodb"), resources.ORDERS.name
    ddb.put_item(TableName=orders, Item={"OrderId": {"S": "small"}})
    ddb.put_item(TableName=orders, Item={"OrderId": {"S": "big"}, "blob": {"S": "x" * 5000}})  # 2 read units
    keys = [{"OrderId": {"S": key}} for key in ("small", "big", "missing-1", "missing-2")]

    def read_units(consistent: bool) -> float:
        before = engine.usage.snapshot()
        ddb.batch_get_item(RequestItems={orders: {"Keys": keys, "ConsistentRead": consistent}})
        return engine.usage.minus(before).dynamodb_read_units

    assert read_units(consistent=True) == 1 + 2 + 1 + 1
    assert read_units(consistent=False) == 2.5


def test_metering_counts_a_gsi_copy_from_any_tables_own_index_schema(engine):
    """Not salesdq's table: an item is copied to each GSI whose key attributes it has, and each copy is billed."""
    ddb = engine.client("dynamodb")
    ddb.create_table(
        TableName="probe-indexed",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("id", "owner", "when", "colour")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-owner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by-colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )

    def put(item: dict[str, Any]) -> int:
        return write_units(engine, lambda: ddb.put_item(TableName="probe-indexed", Item=item))

    assert put({"id": {"S": "a"}}) == 1  # no index key: in no index
    assert put({"id": {"S": "b"}, "owner": {"S": "o"}, "colour": {"S": "x"}}) == 2  # by-colour; by-owner lacks "when"
    assert put({"id": {"S": "c"}, "owner": {"S": "o"}, "when": {"S": "t"}}) == 2  # by-owner
    assert put({"id": {"S": "d"}, "owner": {"S": "o"}, "when": {"S": "t"}, "colour": {"S": "x"}}) == 3  # both
    big = {"id": {"S": "e"}, "colour": {"S": "x"}, "pad": {"S": "p" * 1500}}  # 2 units, and so is its copy
    assert put(big) == 4
    assert put({"id": {"S": "f"}, "note": {"S": "owner when colour"}}) == 1  # the key names only as a value
    batch = [{"PutRequest": {"Item": {"id": {"S": f"g{i}"}, "colour": {"S": "x"}}}} for i in range(2)]
    assert write_units(engine, lambda: ddb.batch_write_item(RequestItems={"probe-indexed": batch})) == 4


def test_metering_counts_states_entered_and_lambda_time(engine):
    sfn = engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-metered", {"ok": True})
    before = engine.usage.snapshot()
    wait(sfn, start(sfn, machine, "{}"))
    wait(sfn, start(sfn, machine, json.dumps({"x": "a" * (257 * 1024)})))  # refused for its input, yet entered
    engine.client("lambda").invoke(FunctionName=resources.FINALIZE.name, Payload=b"{}")
    delta = engine.usage.minus(before)
    assert delta.state_transitions == 2
    assert delta.lambda_requests == 1
    assert delta.lambda_gb_seconds >= 0.001 * resources.FINALIZE.memory_mb / 1024  # at least a billed ms
