"""The quarantine queue (the SQS queue the brief calls the dead-letter queue): a message per quarantined record or
rejected file, at least once (a lost reply or a retried step sends it again under the same id). The quarantine view
holds each once; items() collapses the copies, and the sweep (services/redrive/sweep.py) deletes them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import boto3

from services.dal.errors import MessageRefusedError
from services.dal.retry import until_done
from services.domain import json_codec, quarantine_message
from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        DeleteMessageBatchRequestEntryTypeDef,
        MessageTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

_BATCH_ENTRIES = 10
_BATCH_BYTES = 240 * 1024  # under SQS's 256 KiB batch payload, with room for the envelope
# SQS cannot list a queue: reading it means receiving every message and hiding each until the read ends.
# 15 minutes covers several hundred thousand messages at AWS's receive latency; past it, HoldExpiredError.
HOLD_S = 900


class HoldExpiredError(ServiceError):
    """A held message became visible again before the queue was read to its end."""


class QuarantineQueue:
    def __init__(self, url: str, client: SQSClient | None = None) -> None:
        self.url = url
        self._client = client or boto3.client("sqs")

    def send(self, messages: Iterable[dict[str, Any]]) -> int:
        """Send messages in batches; entries SQS reports failed are resent, never dropped."""
        sent = 0
        batch: list[str] = []
        size = 0
        for message in messages:
            # ASCII with escapes: SQS refuses some characters a record may hold (U+FFFE, lone surrogates), and
            # the body's length is then its size in bytes
            body = json_codec.dumps(message, ascii=True)
            if batch and (len(batch) == _BATCH_ENTRIES or size + len(body) > _BATCH_BYTES):
                sent += self._send_batch(batch)
                batch, size = [], 0
            batch.append(body)
            size += len(body)
        if batch:
            sent += self._send_batch(batch)
        return sent

    def _send_batch(self, bodies: list[str]) -> int:
        def attempt(pending: dict[str, str]) -> dict[str, str]:
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": i, "MessageBody": body} for i, body in pending.items()
            ]
            response = self._client.send_message_batch(QueueUrl=self.url, Entries=entries)
            for failed in response.get("Failed", []):
                if failed.get("SenderFault"):  # the message itself is refused: resending cannot succeed
                    raise MessageRefusedError(
                        f"SQS refused a message for good: {failed.get('Code')}: {failed.get('Message', '')}"
                    )
            sent = {ok["Id"] for ok in response.get("Successful", [])}
            return {i: body for i, body in pending.items() if i not in sent}

        until_done(attempt, {str(i): body for i, body in enumerate(bodies)}, "SendMessageBatch")
        return len(bodies)

    def hold_all(self, visibility_s: int = HOLD_S) -> list[dict[str, Any]]:
        """Receive every message, hiding each for visibility_s; release() or delete() them afterwards.
        A message received twice means its first hold expired mid-read: the read is incomplete, so every
        message held is released and HoldExpiredError raised (receiving on would never end)."""
        held: dict[str, dict[str, Any]] = {}
        while True:
            messages = self._client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=visibility_s,
                WaitTimeSeconds=0,
                AttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            if not messages:
                return list(held.values())
            again = [m["MessageId"] for m in messages if m["MessageId"] in held]
            held |= {m["MessageId"]: _held(m) for m in messages}  # the newest receipt handle is the valid one
            if again:
                self._release_held(held.values())
                raise HoldExpiredError(
                    f"the quarantine queue took longer than {visibility_s} s to read: message {again[0]} came "
                    f"back after {len(held)} were held; all were released, nothing was changed"
                )

    def _release_held(self, held: Iterable[dict[str, Any]]) -> None:
        # Best effort: a hold that expired already has an invalid receipt handle, and is visible anyway.
        for message in held:
            with contextlib.suppress(self._client.exceptions.ClientError):
                self.release([message])

    def release(self, held: Iterable[dict[str, Any]]) -> None:
        """Make held messages visible again at once, ten a request."""
        for batch in _batches(held):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["receipt_handle"], "VisibilityTimeout": 0}
                for i, m in enumerate(batch)
            ]
            self._client.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)

    def delete(self, held: Iterable[dict[str, Any]]) -> None:
        """Delete held messages, ten a request."""
        for batch in _batches(held):
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["receipt_handle"]} for i, m in enumerate(batch)
            ]
            self._client.delete_message_batch(QueueUrl=self.url, Entries=entries)

    def peek(self) -> list[dict[str, Any]]:
        """Every message in the queue, without consuming any."""
        held = self.hold_all()
        self.release(held)
        return held

    def items(self) -> list[dict[str, Any]]:
        """Every quarantined item once, oldest first (quarantine_message.collapse); the queue is not consumed."""
        return quarantine_message.collapse(self.peek(), body=lambda m: m["body"], sent_at=lambda m: m["sent_at_ms"])


def _batches(held: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for message in held:
        batch.append(message)
        if len(batch) == _BATCH_ENTRIES:
            yield batch
            batch = []
    if batch:
        yield batch


def _held(message: MessageTypeDef) -> dict[str, Any]:
    return {
        "message_id": message["MessageId"],
        "receipt_handle": message["ReceiptHandle"],
        "sent_at_ms": int(message.get("Attributes", {}).get("SentTimestamp", "0")),
        "body": json_codec.loads(message["Body"]),
    }
