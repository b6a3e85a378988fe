"""The audit table: an append-only event log. Keys are documented in services/domain/audit_events.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import boto3

from services.dal._dynamo import batch_get, batch_write, condition_item, from_item, to_item

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputPaginateTypeDef, ScanInputPaginateTypeDef


class AuditLog:
    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
        self.name = name
        self._client = client or boto3.client("dynamodb")

    def append(self, events: Iterable[dict[str, Any]]) -> None:
        """Write events; keys are deterministic, so a retried append rewrites the same items."""
        batch_write(self._client, self.name, (to_item(event) for event in events))

    def append_first(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Append unless an event with the same key exists; return the existing one if so."""
        client = self._client
        try:
            client.put_item(
                TableName=self.name,
                Item=to_item(event),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except client.exceptions.ConditionalCheckFailedException as error:
            return from_item(condition_item(error))
        return None

    def take_over(self, event: dict[str, Any], from_execution: str) -> bool:
        """Replace the event with the same key if `from_execution` still holds it, or `event`'s own execution
        does already (the same takeover retried after its reply was lost: it recognizes its own success);
        False if another writer changed it first, so of two concurrent takeovers exactly one wins."""
        client = self._client
        try:
            client.put_item(
                TableName=self.name,
                Item=to_item(event),
                ConditionExpression="#e = :from OR #e = :me",
                ExpressionAttributeNames={"#e": "execution"},
                ExpressionAttributeValues={":from": {"S": from_execution}, ":me": {"S": str(event["execution"])}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self.name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def get_many(
        self, keys: Sequence[tuple[str, str]], attributes: Iterable[str] = (), consistent: bool = True
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The events that exist among (pk, sk) keys, by key, with only `attributes` (and the keys)."""
        typed = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
        events = batch_get(self._client, self.name, typed, ["pk", "sk", *attributes], consistent)
        return {(str(e["pk"]), str(e["sk"])): e for e in events}

    def query(
        self, pk: str, sk_prefix: str = "", attributes: Iterable[str] = (), consistent: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Events under one key in sort-key order; `attributes` limits what each item brings back; a reader
        that can be a second behind (a progress display) reads at half the cost with consistent=False."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "ConsistentRead": consistent,
            "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :p)" if sk_prefix else ""),
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                **({":p": {"S": sk_prefix}} if sk_prefix else {}),
            },
        }
        names = list(attributes)
        if names:
            kwargs["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(names)))
            kwargs["ExpressionAttributeNames"] = {f"#a{i}": name for i, name in enumerate(names)}
        for page in self._client.get_paginator("query").paginate(**kwargs):
            for item in page.get("Items", []):
                yield from_item(item)

    def scan(self, index: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of the table, or of a (sparse) index: the by-day index holds only file events."""
        kwargs: ScanInputPaginateTypeDef = {"TableName": self.name}
        if index:
            kwargs["IndexName"] = index
        for page in self._client.get_paginator("scan").paginate(**kwargs):
            for item in page.get("Items", []):
                yield from_item(item)

    def query_index(self, index: str, key: str, value: str) -> Iterator[dict[str, Any]]:
        """The items of an index under one partition key value, paginated (1 MB a page): the by-day index's
        file events of one day. Index reads are eventually consistent (a GSI offers nothing else)."""
        kwargs: QueryInputPaginateTypeDef = {
            "TableName": self.name,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
        for page in self._client.get_paginator("query").paginate(**kwargs):
            for item in page.get("Items", []):
                yield from_item(item)
