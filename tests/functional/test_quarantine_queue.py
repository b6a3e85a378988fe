"""Reading the whole quarantine queue against moto, whose visibility timeouts run on the real clock."""

from __future__ import annotations

import time
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
