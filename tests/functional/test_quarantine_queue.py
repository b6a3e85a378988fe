"""Reading the whole quarantine queue against moto, whose visibility timeouts run on the real clock."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest

from services.dal.quarantine_queue import HoldExpiredError, QuarantineQueue

from .conftest import Aws


class _SlowReader:
    """The SQS client, with a pause after the first receive: the read outlasts a short hold."""

    def __init__(self, client: Any, pause_s: float) -> None:
        self._client = client
        self._pause_s = pause_s
        self._receives = 0
        self.exceptions = client.exceptions

    def receive_message(self, **kwargs: Any) -> Any:
        self._receives += 1
        if self._receives == 2:
            time.sleep(self._pause_s)
        return self._client.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _fill(queue: QuarantineQueue, count: int) -> None:
    queue.send({"kind": "record", "id": f"f:{i}", "index": i} for i in range(count))


def test_hold_all_receives_every_message_once_and_release_makes_them_visible(aws: Aws) -> None:
    queue = aws.stores.quarantine
    _fill(queue, 35)

    held = queue.hold_all()

    assert sorted(m["body"]["index"] for m in held) == list(range(35))
    assert queue.hold_all() == []  # all hidden while held
    queue.release(held)
    assert len(queue.hold_all()) == 35


def test_a_read_that_outlasts_its_hold_fails_loudly_and_leaves_every_message_visible(aws: Aws) -> None:
    _fill(aws.stores.quarantine, 30)
    slow = QuarantineQueue(aws.queue_url, client=_SlowReader(aws.sqs, pause_s=1.5))

    with pytest.raises(HoldExpiredError, match="took longer than 1 s"):
        slow.hold_all(visibility_s=1)

    # Nothing is left hidden by the failed read, and nothing was lost or duplicated.
    again = aws.stores.quarantine.hold_all()
    assert sorted(m["body"]["index"] for m in again) == list(range(30))


# The characters SQS takes in a message body; it refuses the entry (SendMessageBatch) for any other.
_SQS_BODY = re.compile("[\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


class _Recording:
    """The SQS client, keeping every body sent."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.bodies: list[str] = []
        self.exceptions = client.exceptions

    def send_message_batch(self, **kwargs: Any) -> Any:
        self.bodies += [entry["MessageBody"] for entry in kwargs["Entries"]]
        return self._client.send_message_batch(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.mark.parametrize(
    "text",
    ["\ufffe", "\uffff", "\ud800", "a\udc00b", "\x00\x01\x1f", "😀 é 北", "\U0010ffff"],
    ids=["U+FFFE", "U+FFFF", "high-surrogate", "low-surrogate", "control", "emoji", "last"],
)
def test_every_record_travels_in_a_body_sqs_takes_and_reads_back_as_it_was(aws: Aws, text: str) -> None:
    client = _Recording(aws.sqs)
    queue = QuarantineQueue(aws.queue_url, client)
    record = {"note": text, text: [Decimal("1.5E+400"), 12345678901234567890123]}
    queue.send([{"kind": "record", "id": "f:0", "index": 0, "record": record}])
    [body] = client.bodies
    assert _SQS_BODY.fullmatch(body), ascii(body)
    assert body.isascii()
    [held] = queue.peek()
    assert held["body"]["record"] == record


def test_a_batch_is_cut_by_the_bytes_sqs_counts(aws: Aws) -> None:
    client = _Recording(aws.sqs)
    queue = QuarantineQueue(aws.queue_url, client)
    sent = queue.send({"kind": "record", "id": f"f:{i}", "record": "北" * 20_000} for i in range(6))
    assert sent == 6
    assert all(len(body) > 100_000 for body in client.bodies)  # six bytes a character as it travels
