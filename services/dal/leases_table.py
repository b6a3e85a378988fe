"""Leases on slots of the order-id space: while a chunk holds the slots of its orders, no other writer stores
an order in them, so "which of these orders exist" and the batch write of the new ones cannot interleave with
another file's. A lease outlives the Lambda that takes it, and not by much: it lives the function's timeout plus a
small margin (LEASE_SECONDS, salesdq/resources.py), so a holder that died cannot still be writing when its lease
expires, and another writer waits for a dead holder's slots little longer than the holder could have lived."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3

from services.dal._dynamo import condition_item
from services.dal.errors import StoreError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = "pk"


class LeaseBusyError(StoreError):
    """Another writer holds a slot's lease: try again later (the workflow retries with backoff)."""


class Leases:
    def __init__(
        self, name: str, client: DynamoDBClient | None = None, clock: Callable[[], float] = time.time, lease_s: int = 0
    ) -> None:
        self.name = name
        self.lease_s = lease_s  # how long a lease lives (the function's LEASE_SECONDS); 0: it takes none
        self._client = client or boto3.client("dynamodb")
        self._clock = clock

    @contextmanager
    def held(self, slots: Iterable[int], holder: str, ttl_s: int) -> Iterator[None]:
        """Hold every slot's lease for the block; LeaseBusyError (holding none) if another writer has one."""
        taken = self.acquire(slots, holder, ttl_s)
        try:
            yield
        finally:
            self.release(taken, holder)

    def acquire(self, slots: Iterable[int], holder: str, ttl_s: int) -> list[int]:
        # In slot order, so two chunks that want overlapping slots cannot each wait on the other.
        taken: list[int] = []
        try:
            for slot in sorted(set(slots)):
                self._take(slot, holder, ttl_s)
                taken.append(slot)
        except LeaseBusyError:
            self.release(taken, holder)
            raise
        return taken

    def _take(self, slot: int, holder: str, ttl_s: int) -> None:
        if ttl_s < 1:
            raise StoreError(f"a lease must live a second or more, not {ttl_s} s (is LEASE_SECONDS set?)")
        now = int(self._clock())
        client = self._client
        try:
            client.put_item(
                TableName=self.name,
                Item={KEY: {"S": _key(slot)}, "holder": {"S": holder}, "expires_at": {"N": str(now + ttl_s)}},
                # Free, expired, or ours already (a retry of the same chunk after its Lambda died).
                ConditionExpression="attribute_not_exists(#k) OR expires_at < :now OR holder = :me",
                ExpressionAttributeNames={"#k": KEY},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":me": {"S": holder}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except client.exceptions.ConditionalCheckFailedException as error:
            other = condition_item(error)
            raise LeaseBusyError(
                f"slot {slot} is held by {other.get('holder', {}).get('S', 'another writer')} "
                f"until {other.get('expires_at', {}).get('N', '?')}"
            ) from None

    def release(self, slots: Iterable[int], holder: str) -> None:
        client = self._client
        for slot in slots:
            # Never free a lease another writer took after ours expired.
            with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
                client.delete_item(
                    TableName=self.name,
                    Key={KEY: {"S": _key(slot)}},
                    ConditionExpression="holder = :me",
                    ExpressionAttributeValues={":me": {"S": holder}},
                )


def _key(slot: int) -> str:
    return f"SLOT#{slot:03d}"
