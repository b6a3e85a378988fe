"""The orders table: complete records, keyed by OrderId, written at most once per order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from services.dal._dynamo import batch_get, batch_write, condition_item, from_item, to_item
from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "OrderId"


class OrderTooLargeError(ServiceError):
    """DynamoDB refused the item for its size (400 KB limit)."""


@dataclass(frozen=True)
class PutResult:
    created: bool
    existing: dict[str, Any] | None = None


class OrdersTable:
    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
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
            return PutResult(created=False, existing=from_item(condition_item(error)))
        except client.exceptions.ClientError as error:
            if "size" in str(error).lower():
                raise OrderTooLargeError(str(error)) from error
            raise
        return PutResult(created=True)

    def existing(self, order_ids: Iterable[str], attributes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored orders among order_ids (strongly consistent), with only `attributes` and the key."""
        keys = [{KEY: {"S": order_id}} for order_id in dict.fromkeys(order_ids)]
        return {str(order[KEY]): order for order in batch_get(self._client, self.name, keys, [KEY, *attributes])}

    def put_all(self, items: Iterable[dict[str, Any]]) -> None:
        """Write new orders unconditionally: only under the leases of their slots, after existing() said none
        of them is stored. Items are DynamoDB-typed (serialize())."""
        client = self._client
        try:
            batch_write(client, self.name, items)
        except client.exceptions.ClientError as error:
            if "size" in str(error).lower():
                raise OrderTooLargeError(str(error)) from error
            raise

    def restore(self, order: dict[str, Any]) -> None:
        """Write `order` whatever is stored under its OrderId: only a repair does, with what the audit log holds."""
        self._client.put_item(TableName=self.name, Item=to_item(order))

    @staticmethod
    def serialize(order: dict[str, Any]) -> dict[str, Any]:
        """The DynamoDB item of an order; decimal.DecimalException for a number DynamoDB cannot hold."""
        return to_item(order)

    def get(self, order_id: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self.name, Key={KEY: {"S": order_id}}, ConsistentRead=True)
        item = response.get("Item")
        return from_item(item) if item else None

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every stored order; paginates, since a scan page stops at 1 MB."""
        for page in self._client.get_paginator("scan").paginate(TableName=self.name):
            for item in page.get("Items", []):
                yield from_item(item)
