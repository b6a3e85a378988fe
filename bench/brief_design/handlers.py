"""The brief's two Lambda functions: Load returns a file's records; Validate returns a record or raises.

Validate checks what the brief asks ("both the order information and contact information are present")
plus an order id, which the brief's PutItem needs as the table key.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

ORDER_ID_KEYS = ("OrderId", "orderId", "order-id", "order_id")


class IncompleteRecordError(Exception):
    """The record lacks order-info, contact-info or an order id: the workflow sends it to the DLQ."""


def load(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read()
    document = json.loads(body)
    return {"records": document["orders"]}


def validate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    record = event.get("record")
    if not isinstance(record, dict):
        raise IncompleteRecordError("the record is not an object")
    order, contact = record.get("order-info"), record.get("contact-info")
    if not isinstance(order, dict):
        raise IncompleteRecordError("order-info is missing")
    if not isinstance(contact, dict):
        raise IncompleteRecordError("contact-info is missing")
    order_id = next((order[k] for k in ORDER_ID_KEYS if order.get(k) not in (None, "")), None)
    if order_id is None:
        raise IncompleteRecordError("order-info has no order id")
    return {"OrderId": str(order_id), "json": json.dumps(record, sort_keys=True)}
