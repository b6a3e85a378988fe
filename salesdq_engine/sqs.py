"""SQS: SendMessage in O(1), ReceiveMessage in O(messages returned), a receipt handle found in O(1).

- moto's SendMessage builds every queue attribute (counting the queue's messages, O(queue length)) to read one;
  here the attributes are computed on demand, one at a time, so a send reads only ContentBasedDeduplication
  and a receive's retention check (three reads of MessageRetentionPeriod per message returned) reads only that.
- moto's ReceiveMessage walks every message of the queue (`Queue.messages`, a list of the visible ones, two
  clock reads per message) and every in-flight one (`Queue.pending_message_groups`), so reading a queue of N
  messages to its end is O(N^2). Here a queue's messages live in an ordered store with two heaps: the ones
  that may be visible, by order of sending, and the hidden ones, by the time they show again; a receive
  takes the first visible ones in moto's order (order of sending) and touches only those and the ones whose
  hold ended since. moto's own receive loop still decides (FIFO groups, redrive, retention). A standard
  queue has no pending groups to compute: moto reads them only for a FIFO queue.
- moto's DeleteMessage and ChangeMessageVisibility (and their batches) scan the queue for the message that
  had a receipt handle; here an index from every handle a message had (moto accepts an old one too) to the
  message, kept as it is received again (a new handle), deleted, moved to a dead-letter queue or purged.
"""

from __future__ import annotations

import functools
import heapq
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.sqs import models as sqs_models
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

_original_queue_attributes = Queue.attributes
_original_pending_message_groups = Queue.pending_message_groups
_original_queue_delete_message = Queue.delete_message
_original_change_message_visibility = SQSBackend.change_message_visibility


class _QueueAttributes(Mapping[str, Any]):
    """Queue attributes computed on demand: send_message reads one, GetQueueAttributes reads all."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def _full(self) -> dict[str, Any]:
        if self._all is None:
            self._all = _original_queue_attributes.fget(self._queue)  # type: ignore[attr-defined]
        return self._all

    def _names(self) -> list[str]:
        # the keys moto's Queue.attributes builds: its base list, then FIFO's and KMS's when they apply
        queue = self._queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:  # type: ignore[attr-defined]
            names += queue.KMS_ATTRIBUTES
        return names

    def _one(self, key: str) -> Any:
        # one value as moto's Queue.attributes builds it, without the message counts the others need
        queue = self._queue
        if key == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, camelcase_to_underscores(key))
        return str(value).lower() if isinstance(value, bool) else value

    def get(self, key: str, default: Any = None) -> Any:
        if key == "ContentBasedDeduplication":
            if not self._queue.fifo_queue:
                return default
            return getattr(self._queue, "content_based_deduplication", default)
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in self._names()

    def __getitem__(self, key: str) -> Any:
        if self._all is not None:
            return self._all[key]
        if key not in self._names():
            raise KeyError(key)
        return self._one(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())


def _receivable(message: Message) -> bool:
    return message.visible and not message.delayed  # moto's own test (Queue.messages)


def _shows_at(message: Message) -> float:
    return max(message.visible_at, message.delayed_until)


class _Store:
    """A queue's messages in order of sending (what moto keeps in Queue._messages, as a list), and indexes.

    `ready` holds the positions of messages that may be receivable (checked when taken); `hidden` the others,
    by the time they show again (a stale, earlier time is checked and pushed again). A message taken by a
    receive is lent to it, and put back in one or the other when the receive's walk ends.
    """

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        self.lock = threading.RLock()
        self._by_position: dict[int, Message] = {}
        self._position: dict[int, int] = {}  # id(message) -> position
        self.handles: dict[str, Message] = {}
        self._ready: list[int] = []
        self._in_ready: set[int] = set()
        self._hidden: list[tuple[float, int]] = []
        self._next = 0
        self.touched = 0  # messages a receive's walk took or moved: the measure of its work (tests read it)
        for message in messages:
            self.append(message)

    # --- the list operations moto applies to Queue._messages
    def __iter__(self) -> Iterator[Message]:
        return iter(list(self._by_position.values()))

    def __len__(self) -> int:
        return len(self._by_position)

    def __bool__(self) -> bool:
        return bool(self._by_position)

    def append(self, message: Message) -> None:
        with self.lock:
            position = self._next
            self._next += 1
            self._by_position[position] = message
            self._position[id(message)] = position
            for handle in message.all_receipt_handles:
                if handle is not None:
                    self.handles[handle] = message
            self._place(position, message)

    def remove(self, message: Message) -> None:
        with self.lock:
            position = self._position.pop(id(message), None)
            if position is None or self._by_position.get(position) is not message:
                raise ValueError("message not in queue")
            del self._by_position[position]
            for handle in message.all_receipt_handles:
                if handle is not None and self.handles.get(handle) is message:
                    del self.handles[handle]

    # --- the indexes
    def _place(self, position: int, message: Message) -> None:
        if _receivable(message):
            if position not in self._in_ready:
                self._in_ready.add(position)
                heapq.heappush(self._ready, position)
        else:
            heapq.heappush(self._hidden, (_shows_at(message), position))

    def replace(self, message: Message) -> None:
        """After a message's visibility changed, or it was received (its new handle)."""
        with self.lock:
            position = self._position.get(id(message))
            if position is None or self._by_position.get(position) is not message:
                return
            if message.receipt_handle is not None:
                self.handles[message.receipt_handle] = message
            self._place(position, message)

    def _wake(self) -> None:
        now = sqs_models.unix_time_millis()
        not_yet: list[tuple[float, int]] = []
        while self._hidden and self._hidden[0][0] <= now:
            entry = heapq.heappop(self._hidden)
            position = entry[1]
            message = self._by_position.get(position)
            if message is None or position in self._in_ready:
                continue
            self.touched += 1
            if _receivable(message):
                self._in_ready.add(position)
                heapq.heappush(self._ready, position)
            elif _shows_at(message) > entry[0]:
                heapq.heappush(self._hidden, (_shows_at(message), position))  # hidden for longer since
            else:
                not_yet.append(entry)  # shows this very millisecond: moto's `visible` is strict
        for entry in not_yet:
            heapq.heappush(self._hidden, entry)

    def _take(self, lent: list[Message]) -> Message | None:
        with self.lock:
            while self._ready:
                position = heapq.heappop(self._ready)
                self._in_ready.discard(position)
                message = self._by_position.get(position)
                if message is None:
                    continue  # deleted since
                self.touched += 1
                if _receivable(message):
                    lent.append(message)
                    return message
                heapq.heappush(self._hidden, (_shows_at(message), position))
            return None

    def visible(self) -> Iterator[Message]:
        """The receivable messages, first sent first (moto's order), each taken until the walk ends."""
        with self.lock:
            self._wake()
        lent: list[Message] = []
        try:
            while (message := self._take(lent)) is not None:
                yield message
        finally:
            for message in lent:
                self.replace(message)


class _VisibleMessages:
    """Queue.messages: moto's receive loop walks it, lazily here; counts and tests of it stay moto's."""

    def __init__(self, queue: Queue) -> None:
        self._store = _store(queue)

    def __iter__(self) -> Iterator[Message]:
        return self._store.visible()

    def _all(self) -> list[Message]:
        return [message for message in self._store if _receivable(message)]

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return any(_receivable(message) for message in self._store)


def _store(queue: Queue) -> _Store:
    store = queue.__dict__.get("_salesdq_store")
    if store is None:  # a queue made before install(): its list becomes a store
        store = queue.__dict__["_salesdq_store"] = _Store(queue.__dict__.pop("_messages", []))
    return store  # type: ignore[no-any-return]


def _get_messages(queue: Queue) -> _Store:
    return _store(queue)


def _set_messages(queue: Queue, messages: Iterable[Message]) -> None:
    # moto assigns a list: [] on a purge (every handle goes with its message), a rebuilt one elsewhere
    queue.__dict__["_salesdq_store"] = _Store(messages)


def _pending_message_groups(queue: Queue) -> set[str]:
    if not queue.fifo_queue:
        return set()  # moto's receive reads the groups only for a FIFO queue (`message.group_id and fifo_queue`)
    return _original_pending_message_groups.fget(queue)  # type: ignore[attr-defined, no-any-return]


def _queue_delete_message(self: Queue, receipt_handle: str) -> None:
    # moto's Queue.delete_message, with the message found by the index rather than by a scan
    if receipt_handle in self.deleted_messages:
        return  # already deleted: moto accepts it again
    store = _store(self)
    with store.lock:
        message = store.handles.get(receipt_handle)
        if message is None:
            raise ReceiptHandleIsInvalid()
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
        store.remove(message)


def _change_message_visibility(self: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
    # moto's SQSBackend.change_message_visibility, with the message found by the index rather than by a scan
    queue = self.get_queue(queue_name)
    store = _store(queue)
    with store.lock:
        _change_visibility(queue, store, receipt_handle, visibility_timeout)


def _change_visibility(queue: Queue, store: _Store, receipt_handle: str, visibility_timeout: int) -> None:
    message = store.handles.get(receipt_handle)
    if message is None:
        raise ReceiptHandleIsInvalid
    visibility_timeout_msec = int(visibility_timeout) * 1000
    given_visibility_timeout = sqs_models.unix_time_millis() + visibility_timeout_msec
    if given_visibility_timeout - message.sent_timestamp > 43200 * 1000:  # type: ignore[operator]
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
        )
    message.change_visibility(visibility_timeout)
    if message.visible and message in queue.pending_messages:
        queue.pending_messages.remove(message)
    store.replace(message)


@functools.cache
def install() -> None:
    """Apply the additions to moto; once per process."""
    Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment, method-assign]
    Queue._messages = property(_get_messages, _set_messages)  # type: ignore[assignment, method-assign]
    Queue.messages = property(_VisibleMessages)  # type: ignore[assignment, method-assign]
    Queue.pending_message_groups = property(_pending_message_groups)  # type: ignore[assignment, method-assign]
    Queue.delete_message = _queue_delete_message  # type: ignore[method-assign]
    SQSBackend.change_message_visibility = _change_message_visibility  # type: ignore[method-assign]
