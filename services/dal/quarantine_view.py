"""The quarantine view: what is quarantined, queryable. SQS cannot list a queue (reading it means receiving
every message and hiding each until the read ends), so every quarantine queue message is also recorded here, one
item per quarantine id, and `quarantine list` / `quarantine export` / redrive read this table with paginated
scans and keyed reads.

An item is `open` from the moment its record (or file) is quarantined until its record ends in an outcome of
its own in a later run (a redrive or a replay): then it is `resolved`, with that outcome, and a repeated redrive
of it is recognized. The quarantine queue keeps one message per open item; the sweep (services/redrive/sweep.py)
deletes the messages of resolved and superseded items, so the two agree.

Item: `id` (the quarantine id), `status`, `kind`, `file`, `file_id`, `index`, `order_id`, `attempt`, `at`,
`rules`, `fields`, `body_json` (the quarantine message body, as operators export it), and once a redrive took it on,
`redriving` (its request, until the record ends in an outcome) and `redrive_hash` (the content hash of the
correction it sent, which a later request compares its own with); once resolved, `outcome`, `resolved_by` (the
run's file) and `resolved_at`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from services.dal._dynamo import batch_get, batch_write, from_item, to_item
from services.domain import json_codec

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "id"
OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True)
class Resolution:
    """A quarantined item's record ended in an outcome of its own in a later run."""

    id: str
    outcome: str
    by: str  # the file of the run that resolved it (a redrive batch, a replayed file)
    at: str


def view_item(body: Mapping[str, Any]) -> dict[str, Any]:
    """The open item of a quarantine message body."""
    reasons = body.get("reasons") or []
    return {
        KEY: str(body["id"]),
        "status": OPEN,
        "kind": body.get("kind"),
        "file": body.get("file"),
        "file_id": body.get("file_id"),
        "index": body.get("index"),
        "order_id": body.get("order_id"),
        "attempt": int(body.get("attempt", 1)),
        "at": body.get("at"),
        "rules": sorted({str(r["rule"]) for r in reasons}),
        "fields": sorted({str(r["field"]) for r in reasons}),
        "body_json": json_codec.dumps(body, ascii=True),
    }


def body_of(item: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json_codec.loads(item["body_json"])
    return body


class QuarantineView:
    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
        self.name = name
        self._client = client or boto3.client("dynamodb")

    def open(self, bodies: Iterable[Mapping[str, Any]]) -> None:
        """Record quarantined items as open (a later attempt's body replaces an earlier one's)."""
        batch_write(self._client, self.name, (to_item(view_item(body)) for body in bodies))

    def resolve(self, resolutions: Iterable[Resolution]) -> None:
        """Mark items resolved; an id never quarantined is skipped (it is not made up here)."""
        client = self._client
        for resolution in resolutions:
            with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
                client.update_item(
                    TableName=self.name,
                    Key={KEY: {"S": resolution.id}},
                    UpdateExpression="SET #s = :resolved, outcome = :o, resolved_by = :by, resolved_at = :at "
                    "REMOVE redriving",
                    ConditionExpression="attribute_exists(#k)",
                    ExpressionAttributeNames={"#s": "status", "#k": KEY},
                    ExpressionAttributeValues={
                        ":resolved": {"S": RESOLVED},
                        ":o": {"S": resolution.outcome},
                        ":by": {"S": resolution.by},
                        ":at": {"S": resolution.at},
                    },
                )

    def claim(self, item_id: str, request: str, digest: str, attempt: int) -> bool:
        """A redrive request takes an open item on at the attempt it judged, with its correction's content hash:
        one request per attempt of a record. True when the item is this request's (now, or already)."""
        client = self._client
        try:
            client.update_item(
                TableName=self.name,
                Key={KEY: {"S": item_id}},
                UpdateExpression="SET redriving = :r, redrive_hash = :h",
                ConditionExpression="#s = :open AND attempt = :n "
                "AND (attribute_not_exists(redriving) OR redriving = :r)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":r": {"S": request},
                    ":h": {"S": digest},
                    ":open": {"S": OPEN},
                    ":n": {"N": str(attempt)},
                },
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_many(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = [{KEY: {"S": item_id}} for item_id in dict.fromkeys(ids)]
        attributes = (
            *(KEY, "status", "kind", "attempt", "at", "body_json"),
            *("redriving", "redrive_hash", "outcome", "resolved_by"),
        )
        return {str(item[KEY]): item for item in batch_get(self._client, self.name, keys, attributes)}

    def items(
        self,
        *,
        status: str | None = OPEN,
        files: Sequence[str] | None = None,
        rule: str | None = None,
        field: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items in scan order (paginated, 1 MB a page), filtered by status, file (any of `files`, each a key or
        a file id: the file's own items and those of its records), rule and field; at most `limit`."""
        conditions, values, names = [], {}, {}
        # Every name through a placeholder: status, rules and fields are DynamoDB reserved words.
        if status is not None:
            conditions.append("#s = :s")
            names["#s"], values[":s"] = "status", {"S": status}
        if files:
            placeholders = [f":f{i}" for i in range(len(files))]
            # a record's quarantine id starts with its file's id: a record redriven and quarantined again keeps that id
            # and its file, while its file_id is the redrive batch's
            prefixes = [f":p{i}" for i in range(len(files))]
            ids = " OR ".join(f"begins_with(#id, {prefix})" for prefix in prefixes)
            conditions.append(f"(#f IN ({', '.join(placeholders)}) OR #fid IN ({', '.join(placeholders)}) OR {ids})")
            names["#f"], names["#fid"], names["#id"] = "file", "file_id", KEY
            values |= {placeholder: {"S": name} for placeholder, name in zip(placeholders, files, strict=True)}
            values |= {prefix: {"S": f"{name}:"} for prefix, name in zip(prefixes, files, strict=True)}
        if rule is not None:
            conditions.append("contains(#r, :r)")
            names["#r"], values[":r"] = "rules", {"S": rule}
        if field is not None:
            conditions.append("contains(#d, :d)")
            names["#d"], values[":d"] = "fields", {"S": field}
        kwargs: dict[str, Any] = {"TableName": self.name}
        if conditions:
            kwargs |= {
                "FilterExpression": " AND ".join(conditions),
                "ExpressionAttributeValues": values,
                **({"ExpressionAttributeNames": names} if names else {}),
            }
        given = 0
        for page in self._client.get_paginator("scan").paginate(**kwargs):
            for item in page.get("Items", []):
                if limit is not None and given >= limit:
                    return
                given += 1
                yield from_item(item)
