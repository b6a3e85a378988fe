"""Plain JSON values <-> DynamoDB attribute values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from services.dal.retry import until_done

_GET_BATCH = 100  # BatchGetItem's limit
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _to_decimals(value: Any) -> Any:
    # DynamoDB numbers are decimals; floats must cross as their shortest exact text.
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_decimal(v) for v in value]
    return value


def to_item(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(v) for k, v in _to_decimals(value).items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_decimal(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def batch_write(client: Any, table: str, items: Iterable[dict[str, Any]]) -> None:
    """Put DynamoDB items, 25 a request (BatchWriteItem's limit); throttled entries are resent, never dropped."""
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(client, table, batch)
            batch = []
    if batch:
        _write(client, table, batch)


def _write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    def attempt(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = client.batch_write_item(RequestItems={table: pending})
        return list(response.get("UnprocessedItems", {}).get(table, []))

    until_done(attempt, requests, f"BatchWriteItem on {table}")


def batch_get(
    client: Any, table: str, keys: Sequence[dict[str, Any]], attributes: Sequence[str], consistent: bool = True
) -> list[dict[str, Any]]:
    """The items that exist among DynamoDB-typed keys, 100 a request (BatchGetItem's limit), with only
    `attributes` (the key attributes among them); unprocessed keys are asked again, never dropped."""
    names = {f"#a{i}": name for i, name in enumerate(attributes)}
    found: list[dict[str, Any]] = []

    def attempt(pending: dict[str, Any]) -> dict[str, Any]:
        response = client.batch_get_item(RequestItems=pending)
        found.extend(from_item(item) for item in response.get("Responses", {}).get(table, []))
        return dict(response.get("UnprocessedKeys") or {})

    for start in range(0, len(keys), _GET_BATCH):
        request = {
            table: {
                "Keys": list(keys[start : start + _GET_BATCH]),
                "ConsistentRead": consistent,
                "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names,
            }
        }
        until_done(attempt, request, f"BatchGetItem on {table}")
    return found
