"""The orders table: complete records, keyed by OrderId, written at most once per order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from services.shared.dal._dynamo import from_item, to_item

KEY = "OrderId"


class OrderTooLargeError(Exception):
    """DynamoDB refused the item for its size (400 KB limit)."""


@dataclass(frozen=True)
class PutResult:
    created: bool
    existing: dict[str, Any] | None = None


class OrdersTable:
    def __init__(self, name: str, client: Any = None) -> None:
        self.name = name
        self._client = client or boto3.client("dynamodb")

    def put_new(self, order: dict[str, Any]) -> PutResult:
        """Write `order` unless its OrderId is stored; then return the stored item in the same call."""
        client = self._client
        try:
            client.put_item(
                TableName=self.name,
                Item=to_item(order),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": KEY},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except client.exceptions.ConditionalCheckFailedException as error:
            return PutResult(created=False, existing=from_item(error.response.get("Item", {})))
        except client.exceptions.ClientError as error:
            if "size" in str(error).lower():
                raise OrderTooLargeError(str(error)) from error
            raise
        return PutResult(created=True)

    def get(self, order_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self.name, Key={KEY: {"S": order_id}}, ConsistentRead=True)
        item = response.get("Item")
        return from_item(item) if item else None

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every stored order; paginates, since a scan page stops at 1 MB."""
        for page in self._client.get_paginator("scan").paginate(TableName=self.name):
            for item in page.get("Items", []):
                yield from_item(item)
