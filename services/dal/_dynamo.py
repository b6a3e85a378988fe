"""Plain JSON values <-> DynamoDB attribute values, numbers exact both ways.

A number goes to DynamoDB as the exact text of its value (ints and Decimals as they are, a float by its
repr), with trailing zeros trimmed as DynamoDB trims them (1.50 is stored as 1.5, 3.0 as 3); one DynamoDB
cannot hold (over 38 significant digits, or beyond 1E-130 to 9.9999999999999999999999999999999999999E+125)
raises UnstorableNumberError, a decimal.DecimalException, before anything is sent. A number comes back as
an int when it is whole and as a Decimal otherwise: never a float, which would lose digits.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from services.dal.retry import until_done
from services.domain.limits import dynamodb_number
from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, WriteRequestOutputTypeDef, WriteRequestTypeDef

    _WriteRequest = WriteRequestTypeDef | WriteRequestOutputTypeDef  # as sent, and as handed back unprocessed

_GET_BATCH = 100  # BatchGetItem's limit
_DESERIALIZER = TypeDeserializer()


class UnstorableNumberError(ServiceError, decimal.DecimalException):
    """A number DynamoDB cannot hold."""


def number_text(value: int | Decimal | float) -> str:
    """The DynamoDB number text of value; UnstorableNumberError when DynamoDB cannot hold it."""
    text = dynamodb_number(value)
    if text is None:
        raise UnstorableNumberError("a number outside what DynamoDB holds (38 digits, 1E-130 to 9.99E+125)")
    return text


def _serialize(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal | float):
        return {"N": number_text(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_serialize(v) for v in value]}
    raise TypeError(f"Unsupported type {type(value).__name__} for a DynamoDB attribute")


def _deserialize(value: dict[str, Any]) -> Any:
    if "S" in value:
        return value["S"]
    if "N" in value:
        number = Decimal(value["N"])
        return int(number) if number == number.to_integral_value() else number
    if "M" in value:
        return {k: _deserialize(v) for k, v in value["M"].items()}
    if "L" in value:
        return [_deserialize(v) for v in value["L"]]
    if "BOOL" in value:
        return value["BOOL"]
    if "NULL" in value:
        return None
    return _DESERIALIZER.deserialize(cast("AttributeValueTypeDef", value))  # sets and binary: salesdq never writes them


def to_item(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in value.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserialize(v) for k, v in item.items()}


def condition_item(error: ClientError) -> dict[str, Any]:
    """The DynamoDB-typed item a put refused by its condition returns (ReturnValuesOnConditionCheckFailure=ALL_OLD);
    empty when there was none. The stubs' error response does not declare it."""
    response: Mapping[str, Any] = error.response
    return dict(response.get("Item") or {})


def batch_write(client: DynamoDBClient, table: str, items: Iterable[dict[str, Any]]) -> None:
    """Put DynamoDB items, 25 a request (BatchWriteItem's limit); throttled entries are resent, never dropped."""
    batch: list[_WriteRequest] = []
    for item in items:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(client, table, batch)
            batch = []
    if batch:
        _write(client, table, batch)


def _write(client: DynamoDBClient, table: str, requests: list[_WriteRequest]) -> None:
    def attempt(pending: list[_WriteRequest]) -> list[_WriteRequest]:
        response = client.batch_write_item(RequestItems={table: pending})
        return list(response.get("UnprocessedItems", {}).get(table, []))

    until_done(attempt, requests, f"BatchWriteItem on {table}")


def batch_get(
    client: DynamoDBClient,
    table: str,
    keys: Sequence[dict[str, Any]],
    attributes: Sequence[str],
    consistent: bool = True,
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
