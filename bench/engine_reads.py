"""The engine's read additions on and off, side by side in one process: python -m bench.engine_reads
[--messages N] [--small-messages N] [--items N].

Each leg runs on a fresh moto backend, with salesdq_engine.sqs and salesdq_engine.dynamodb applied (on) or
with moto's own classes put back (off); the claim is the ratio off/on of the same reads, not their times.
- sweep: the quarantine queue sweep's reads (services/dal QuarantineQueue.hold_all, then delete of every message held),
  whole, on a queue of --small-messages (moto alone is quadratic); and on a queue of --messages, whole with
  the additions on, and per message for its first few receives and deletes both ways (moto alone would take
  hours for the whole).
- scan: every item of a table of --items (services/dal OrdersTable.scan, 1 MB pages, through the API: pages
  and the replies' encoding), and the same pages from the backend (moto's Table.scan and what the engine
  changes, without the reply's encoding).
- replies: the body of a Scan reply of --reply-items order-like items, encoded by moto's JSON serializer and by
  the engine's (salesdq_engine.dynamodb.ReplySerializer), the same bytes checked; --only-replies runs just this.
Writes bench/results/engine-reads.json (engine-replies.json with --only-replies).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from botocore import parsers
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID, serialize
from moto.dynamodb import responses
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

from bench.run import RESULTS, commit, write_result
from salesdq_engine import dynamodb, sqs
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue

REGION = "us-east-1"
# what install() changes attributes of (classes, and moto's DynamoDB responses module: its dynamo_to_dict)
_PATCHED: tuple[Any, ...] = (
    Queue,
    Message,
    SQSBackend,
    Table,
    Item,
    DynamoDBBackend,
    responses.DynamoHandler,
    responses,
    parsers.BaseJSONParser,  # addition 16: botocore's side of a reply
)
_PROBE_MESSAGES = 3  # receives of one message (and their deletes) timed per leg on the long queue


def _additions() -> dict[tuple[type, str], tuple[Any, Any]]:
    """What install() changes on moto's classes and module: (owner, name) -> (moto's, the engine's)."""
    before = {cls: dict(vars(cls)) for cls in _PATCHED}
    sqs.install()
    dynamodb.install()
    return {
        (cls, name): (before[cls].get(name), value)
        for cls in _PATCHED
        for name, value in vars(cls).items()
        if before[cls].get(name) is not value
    }


@contextlib.contextmanager
def _leg(changes: dict[tuple[type, str], tuple[Any, Any]], on: bool) -> Iterator[None]:
    for (cls, name), (moto, engine) in changes.items():
        setattr(cls, name, engine if on else moto)
    replies = serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})  # the engine's reply encoding
    if not on:
        replies.pop("json")
    try:
        with mock_aws():
            yield
    finally:
        for (cls, name), (_, engine) in changes.items():
            setattr(cls, name, engine)
        replies["json"] = dynamodb.ReplySerializer


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def _queue(name: str, messages: int) -> QuarantineQueue:
    backend: SQSBackend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]
    queue = backend.create_queue(name, VisibilityTimeout="120")
    for i in range(messages):  # straight into the queue: moto alone's SendMessage is O(queue length) too
        message = Message(str(uuid.uuid4()), json.dumps({"id": str(i), "attempt": 1, "reasons": []}))
        message.mark_sent()
        queue.add_message(message)
    return QuarantineQueue(f"https://sqs.{REGION}.amazonaws.com/{DEFAULT_ACCOUNT_ID}/{name}")


def _sweep(messages: int) -> dict[str, Any]:
    queue = _queue("sweep", messages)
    hold_s, held = _timed(queue.hold_all)
    delete_s, _ = _timed(lambda: queue.delete(held))
    return {"messages": len(held), "hold_s": round(hold_s, 3), "delete_s": round(delete_s, 3)}


def _probe(messages: int) -> dict[str, Any]:
    """The first few messages of a long queue, received one at a time and deleted: seconds per message."""
    queue = _queue("probe", messages)
    client = queue._client
    started = time.perf_counter()
    for _ in range(_PROBE_MESSAGES):
        got = client.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=1, VisibilityTimeout=600)
        client.delete_message(QueueUrl=queue.url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])
    return {"messages": messages, "s_per_message": (time.perf_counter() - started) / _PROBE_MESSAGES}


def _table(items: int) -> Table:
    backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    table = backend.create_table(
        "orders",
        schema=[{"AttributeName": "OrderId", "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": "OrderId", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for i in range(items):
        table.put_item(
            {
                "OrderId": {"S": f"order-{i * 7919 % items:08d}"},
                "Region": {"S": "EU"},
                "Amount": {"N": str(i % 1000)},
                "Product": {"S": "widget-" + str(i % 97)},
            }
        )
    return table


def _backend_scan(table: Table) -> dict[str, Any]:
    backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    pages = items = 0
    start: dict[str, Any] | None = None
    started = time.perf_counter()
    while True:
        page, _, start = backend.scan(table.name, {}, None, start, None, {}, {}, None, False, None, (None, None))  # type: ignore[arg-type]
        pages, items = pages + 1, items + len(page)
        if start is None:
            break
        start = {key: value.to_json() for key, value in start.items()}  # as the API hands it back
    return {"pages": pages, "items": items, "seconds": round(time.perf_counter() - started, 3)}


def _api_scan(table: Table) -> dict[str, Any]:
    seconds, items = _timed(lambda: sum(1 for _ in OrdersTable(table.name).scan()))
    return {"items": items, "seconds": round(seconds, 3)}


def _replies(items: int) -> dict[str, Any]:
    """Seconds to encode one Scan reply of `items` orders, moto's serializer (off) and the engine's (on)."""
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.responses import DynamoResult

    order: dict[str, dict[str, Any]] = {
        "OrderId": {"S": "1234"},
        "Contact": {"M": {"Name": {"S": "Ada Lovelace"}, "Email": {"S": "ada@example.com"}, "Phone": {"S": "555"}}},
        "Order": {"M": {"Product": {"S": "widget-7"}, "Quantity": {"N": "3"}, "Price": {"N": "9.99"}}},
        "_source": {"S": "sales.json#17"},
        "_file": {"S": "sales.json"},
    }
    stored = [{name: DynamoType(value) for name, value in order.items()} for _ in range(items)]
    result = DynamoResult({"Items": stored, "Count": items, "ScannedCount": items}).result
    model = get_service_model("dynamodb").operation_model("Scan")
    timings, bodies = {}, {}
    for state, serializer in (("off", JSONSerializer), ("on", dynamodb.ReplySerializer)):
        started = time.perf_counter()
        bodies[state] = serializer(operation_model=model, value_picker=XFormedAttributePicker()).serialize(result)
        timings[state] = round(time.perf_counter() - started, 3)
    assert bodies["on"]["body"] == bodies["off"]["body"], "the engine's reply differs from moto's"
    return {"items": items, "seconds": timings, "bytes": len(bodies["on"]["body"])}


def _ratio(off: float, on: float) -> float:
    return round(off / on, 1) if on else float("inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--small-messages", type=int, default=300)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--reply-items", type=int, default=1_000)
    parser.add_argument("--only-replies", action="store_true")
    args = parser.parse_args(argv)
    command = "python -m bench.engine_reads " + " ".join(argv if argv is not None else sys.argv[1:])
    replies = _replies(args.reply_items)
    replies_ratio = {f"reply_{args.reply_items}_items": _ratio(replies["seconds"]["off"], replies["seconds"]["on"])}
    if args.only_replies:
        document = {"command": command, "commit": commit(), "ratios_off_over_on": replies_ratio, "replies": replies}
        write_result(RESULTS / "engine-replies.json", document, show=True)
        return 0
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    changes = _additions()
    legs: dict[str, dict[str, Any]] = {"on": {}, "off": {}}
    for state in ("on", "off"):
        leg = legs[state]
        with _leg(changes, state == "on"):
            leg["sweep_small"] = _sweep(args.small_messages)
        with _leg(changes, state == "on"):
            leg["probe"] = _probe(args.messages)
        if state == "on":
            with _leg(changes, True):
                leg["sweep"] = _sweep(args.messages)
        with _leg(changes, state == "on"):
            table = _table(args.items)
            leg["backend_scan"] = _backend_scan(table)
            leg["api_scan"] = _api_scan(table)
        print(f"{state}: {json.dumps(leg)}", file=sys.stderr, flush=True)
    on, off = legs["on"], legs["off"]
    small = {state: legs[state]["sweep_small"]["hold_s"] + legs[state]["sweep_small"]["delete_s"] for state in legs}
    sweep_on = on["sweep"]["hold_s"] + on["sweep"]["delete_s"]
    document = {
        "command": command,
        "commit": commit(),
        "ratios_off_over_on": replies_ratio
        | {
            f"sweep_{args.small_messages}": _ratio(small["off"], small["on"]),
            f"sweep_per_message_at_{args.messages}": _ratio(
                off["probe"]["s_per_message"], on["probe"]["s_per_message"]
            ),
            f"scan_{args.items}_backend": _ratio(off["backend_scan"]["seconds"], on["backend_scan"]["seconds"]),
            f"scan_{args.items}_api": _ratio(off["api_scan"]["seconds"], on["api_scan"]["seconds"]),
        },
        f"sweep_{args.messages}_on_s": round(sweep_on, 3),
        f"sweep_{args.messages}_off_s_projected": round(off["probe"]["s_per_message"] * args.messages, 1),
        "legs": legs,
        "replies": replies,
    }
    out = RESULTS / "engine-reads.json"
    write_result(out, document, show=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
