"""Billable units of the traffic through the engine, and their AWS list price (us-east-1, on-demand; see
docs/performance.md).

A Meter turns what passes through the engine into units in a Usage: each AWS request and its response at the
request boundary (DynamoDB write and read units, SQS requests per 64 KB, S3 class A and B requests), each
Lambda invocation the runtime reports (requests, GB-s), and each state a Step Functions execution enters
(transitions: no request carries them, so metering wraps moto's state evaluation). It knows only AWS's billing
rules and what moto holds (a table's index key schemas), nothing of the application it meters.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.awsrequest import AWSPreparedRequest
from moto.core.common_types import TYPE_RESPONSE
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.iam.models import get_account_id_from
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

from salesdq_engine import request_hooks
from salesdq_engine.dynamodb import WRITE_OPERATIONS
from salesdq_engine.request_hooks import operation_of, service_of, text

# USD list prices (DESIGN.md "AWS facts"; S3 standard request prices).
PRICE_TRANSITION = 0.025 / 1000
PRICE_LAMBDA_REQUEST = 0.20 / 1_000_000
PRICE_LAMBDA_GB_S = 0.0000166667  # arm64 is 20% less; we quote the x86 price as the upper bound
PRICE_WRITE_UNIT = 0.625 / 1_000_000
PRICE_READ_UNIT = 0.125 / 1_000_000
PRICE_SQS_REQUEST = 0.40 / 1_000_000
PRICE_S3_CLASS_A = 0.005 / 1000  # PUT, COPY, POST, LIST
PRICE_S3_CLASS_B = 0.0004 / 1000  # GET and others

SQS_BILLING_CHUNK = 64 * 1024
DDB_WRITE_UNIT_BYTES = 1024
TRANSACTION_FACTOR = 2  # a transactional write costs two write units per 1 KB
DDB_READ_UNIT_BYTES = 4096


@dataclass
class Usage:
    state_transitions: int = 0
    lambda_requests: int = 0
    lambda_gb_seconds: float = 0.0
    dynamodb_write_units: int = 0
    dynamodb_read_units: int = 0
    sqs_requests: int = 0
    s3_class_a_requests: int = 0
    s3_class_b_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **units: float) -> None:
        with self._lock:
            for name, value in units.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> Usage:
        with self._lock:
            return Usage(**{f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")})

    def minus(self, earlier: Usage) -> Usage:
        return Usage(
            **{f.name: getattr(self, f.name) - getattr(earlier, f.name) for f in fields(self) if f.name[0] != "_"}
        )

    def cost_usd(self) -> dict[str, float]:
        return {
            "step_functions": self.state_transitions * PRICE_TRANSITION,
            "lambda": self.lambda_requests * PRICE_LAMBDA_REQUEST + self.lambda_gb_seconds * PRICE_LAMBDA_GB_S,
            "dynamodb": self.dynamodb_write_units * PRICE_WRITE_UNIT + self.dynamodb_read_units * PRICE_READ_UNIT,
            "sqs": self.sqs_requests * PRICE_SQS_REQUEST,
            "s3": self.s3_class_a_requests * PRICE_S3_CLASS_A + self.s3_class_b_requests * PRICE_S3_CLASS_B,
        }

    def report(self, records: int) -> dict[str, object]:
        units = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        units["lambda_gb_seconds"] = round(self.lambda_gb_seconds, 3)
        cost = self.cost_usd()
        total = sum(cost.values())
        per_million = total * 1_000_000 / records if records else 0.0
        return {
            "units": units,
            "cost_usd": {k: round(v, 6) for k, v in cost.items()},
            "total_usd": round(total, 6),
            "usd_per_million_records": round(per_million, 4),
        }


def write_units(item_bytes: int) -> int:
    return max(1, math.ceil(item_bytes / DDB_WRITE_UNIT_BYTES))


def read_units(response_bytes: int, consistent: bool) -> float:
    units = max(1, math.ceil(response_bytes / DDB_READ_UNIT_BYTES))
    return units if consistent else units / 2


def sqs_requests(payload_bytes: int) -> int:
    return max(1, math.ceil(payload_bytes / SQS_BILLING_CHUNK))


def attribute_value_size(value: dict[str, object]) -> int:
    """DynamoDB's item-size rules for one typed attribute value (names are counted by the caller)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "B"):
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return math.ceil(len(str(inner).lstrip("-").replace(".", "")) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        assert isinstance(inner, dict)
        return 3 + sum(len(k.encode("utf-8")) + attribute_value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        assert isinstance(inner, list)
        return 3 + sum(attribute_value_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        assert isinstance(inner, list)
        return sum(len(str(v).encode("utf-8")) for v in inner)
    return len(str(inner))


def item_size(item: dict[str, dict[str, object]]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_value_size(value) for name, value in item.items())


# ---------------------------------------------------------------- from the engine's traffic to units

_ACCESS_KEY = re.compile(r"Credential=([^/]+)/")
_attached: Meter | None = None  # the running engine's, for what passes no request boundary


def _account(request: AWSPreparedRequest) -> str:
    """The account moto answers a request as (as moto.core.responses.BaseResponse.get_current_account)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if header := text(request.headers.get("x-moto-account-id")):
        return header
    match = _ACCESS_KEY.search(text(request.headers.get("Authorization")))
    return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE")


def _tables(request: AWSPreparedRequest) -> Mapping[str, Table]:
    region = (urlsplit(request.url).hostname or "").split(".")[1]
    tables: Mapping[str, Table] = dynamodb_backends[_account(request)][region].tables
    return tables


def index_key_sets(table: Table | None) -> list[tuple[str, ...]]:
    """The key attributes of each of a table's global secondary indexes."""
    if table is None:
        return []
    return [tuple(key["AttributeName"] for key in index.schema) for index in table.global_indexes]


def index_copies(key_sets: Iterable[tuple[str, ...]], item: Mapping[str, Any]) -> int:
    """How many GSIs hold a copy of the item: an index holds every item that has all of its key attributes."""
    return sum(1 for keys in key_sets if all(key in item for key in keys))


@functools.lru_cache(maxsize=1024)
def _quoted(name: str) -> bytes:
    return json.dumps(name).encode()  # as botocore serializes an attribute name


def _may_be_indexed(body: bytes, tables: Mapping[str, Table]) -> bool:
    """False when no GSI of any table can hold the item a request carries: some key name is not in the body."""
    return any(
        all(_quoted(key) in body for key in keys) for table in list(tables.values()) for keys in index_key_sets(table)
    )


def _table(tables: Mapping[str, Table], name: str) -> Table | None:
    if table := tables.get(name):
        return table
    return next((t for t in list(tables.values()) if t.table_arn == name), None)  # a TableName may be an ARN


class Meter:
    """Adds the billable units of what passes through the engine to a Usage."""

    def __init__(self, usage: Usage) -> None:
        self.usage = usage

    def attach(self) -> None:
        """Meter from now on: requests at the request boundary, and states entered."""
        global _attached
        _attached = self
        request_hooks.add(self.request)

    def detach(self) -> None:
        global _attached
        request_hooks.remove(self.request)
        if _attached is self:
            _attached = None

    def request(self, request: AWSPreparedRequest, proceed: request_hooks.Proceed) -> request_hooks.Response:
        """A request hook: moto answers, then the request and its answer are metered."""
        response = proceed(request)
        if response is not None:
            with contextlib.suppress(Exception):  # metering must never break a request
                self._meter(request, response)
        return response

    def lambda_invocation(self, memory_mb: int, billed_ms: int) -> None:
        self.usage.add(lambda_requests=1, lambda_gb_seconds=billed_ms / 1000 * memory_mb / 1024)

    def state_entered(self) -> None:
        self.usage.add(state_transitions=1)

    def _meter(self, request: AWSPreparedRequest, response: TYPE_RESPONSE) -> None:
        service = service_of(request)
        operation = operation_of(request)
        raw = request.body
        # A streamed body is an S3 upload's, which is metered by its object, not here.
        body = raw.encode() if isinstance(raw, str) else bytes(raw) if isinstance(raw, bytes | bytearray) else b""
        if service == "dynamodb":
            self._meter_dynamodb(request, operation, body, response)
        elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
            self.usage.add(sqs_requests=sqs_requests(len(body)))
        elif service == "sqs":
            self.usage.add(sqs_requests=1)
        elif service == "s3":
            listing = bool({"list-type", "prefix"} & parse_qs(urlsplit(request.url).query).keys())
            if request.method in ("PUT", "POST") or (request.method == "GET" and listing):
                self.usage.add(s3_class_a_requests=1)  # PUT, COPY, POST, LIST
            elif request.method in ("GET", "HEAD"):
                self.usage.add(s3_class_b_requests=1)

    def _meter_dynamodb(
        self, request: AWSPreparedRequest, operation: str, body: bytes, response: TYPE_RESPONSE
    ) -> None:
        if operation in WRITE_OPERATIONS:
            tables = _tables(request)
            if operation == "PutItem" and len(body) <= DDB_WRITE_UNIT_BYTES and not _may_be_indexed(body, tables):
                # An item is never larger than the request that carries it, and no index can hold it: one unit.
                self.usage.add(dynamodb_write_units=1)
                return
            self.usage.add(dynamodb_write_units=self._write_units(operation, json.loads(body), tables))
        elif operation == "BatchGetItem":
            # Billed per requested key: a found item by its size, a missing or projected-away one at the minimum.
            payload = json.loads(body)
            answer = json.loads(response[2] or b"{}")
            billed = 0.0
            for table, keys in payload["RequestItems"].items():
                consistent = bool(keys.get("ConsistentRead"))
                found = answer.get("Responses", {}).get(table, [])
                unprocessed = len(answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
                billed += sum(read_units(item_size(item), consistent) for item in found)
                billed += (len(keys["Keys"]) - len(found) - unprocessed) * read_units(0, consistent)
            self.usage.add(dynamodb_read_units=billed)
        elif operation in ("GetItem", "Query", "Scan"):
            content = response[2]
            consistent = bool(json.loads(body).get("ConsistentRead"))
            size = len(content) if isinstance(content, bytes | str) else 0
            self.usage.add(dynamodb_read_units=read_units(size, consistent))

    @staticmethod
    def _write_units(operation: str, payload: dict[str, Any], tables: Mapping[str, Table]) -> int:
        items: list[tuple[str, dict[str, Any]]] = []
        if operation == "BatchWriteItem":
            for table, requests in payload["RequestItems"].items():
                items += [(table, r["PutRequest"]["Item"]) for r in requests if "PutRequest" in r]
        elif operation == "TransactWriteItems":
            items += [(p["Put"]["TableName"], p["Put"]["Item"]) for p in payload["TransactItems"] if "Put" in p]
        elif "Item" in payload:
            items.append((payload["TableName"], payload["Item"]))
        if operation in ("DeleteItem", "UpdateItem") and not items:
            return 1
        per_unit = TRANSACTION_FACTOR if operation == "TransactWriteItems" else 1
        key_sets = {name: index_key_sets(_table(tables, name)) for name in {name for name, _ in items}}
        return sum(
            per_unit * write_units(item_size(item)) * (1 + index_copies(key_sets[table], item)) for table, item in items
        )


@functools.cache
def install() -> None:
    """Meter at the request boundary and count the states moto's interpreter enters; once per process. Wraps
    whatever _eval_body is installed by then: installed after the stepfunctions addition, a state it refuses
    for an oversize input still counts as entered."""
    request_hooks.install()
    inner = CommonStateField._eval_body

    def entered(self: CommonStateField, env: Any) -> None:
        if (meter := _attached) is not None:
            meter.state_entered()
        inner(self, env)

    CommonStateField._eval_body = entered  # type: ignore[method-assign]
