"""SQS: SendMessage in O(1).

moto's SendMessage builds every queue attribute (counting the queue's messages, O(queue length)) to read one;
here the attributes are computed on demand, so a send reads only ContentBasedDeduplication.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from moto.sqs.models import Queue

_original_queue_attributes = Queue.attributes


class _QueueAttributes(Mapping[str, Any]):
    """Queue attributes computed on demand: send_message reads one, GetQueueAttributes reads all."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def _full(self) -> dict[str, Any]:
        if self._all is None:
            self._all = _original_queue_attributes.fget(self._queue)  # type: ignore[attr-defined]
        return self._all

    def get(self, key: str, default: Any = None) -> Any:
        if key == "ContentBasedDeduplication":
            if not self._queue.fifo_queue:
                return default
            return getattr(self._queue, "content_based_deduplication", default)
        return self._full().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._full()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())


@functools.cache
def install() -> None:
    """Apply the addition to moto; once per process."""
    Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment, method-assign]
