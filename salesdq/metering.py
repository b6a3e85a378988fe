"""Billable units of a run and their AWS list price (us-east-1, on-demand; see docs/performance.md).

The embedded engine feeds a Usage as requests flow through it; nothing here touches AWS.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, fields

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
