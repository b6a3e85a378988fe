"""S3 -> EventBridge: each object write's event carries its own identity, as on AWS.

moto builds every S3 event for EventBridge with the same event `id`, the same `detail.object.sequencer` and the
same `detail.request-id`, so a redelivery of one event (EventBridge delivers at least once) cannot be told from
a second write of the same bytes to the same key. Here each write's event gets a new `id` and `request-id` and a
`sequencer` that, as on AWS, orders the writes to a key (fixed-width hex, increasing; AWS compares them as
strings); every delivery of that event, a duplicate one included (eventbridge.py), carries the same three.
"""

from __future__ import annotations

import contextvars
import functools
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import moto.s3.notifications as notifications
from moto.events.models import Rule

SEQUENCER_DIGITS = 18  # the width of AWS's examples (0055AED6DCD90281E5): nanoseconds since 1970 fit in 16

_write: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("s3_write", default=None)
_lock = threading.Lock()
_last = 0


def next_sequencer() -> str:
    """A sequencer greater than every one given before in this process (the clock's nanoseconds, or one more)."""
    global _last
    with _lock:
        _last = max(_last + 1, time.time_ns())
        return f"{_last:0{SEQUENCER_DIGITS}X}"


def _stamp() -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "sequencer": next_sequencer(), "request-id": secrets.token_hex(8).upper()}


def _stamped(send: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(send)
    def send_event_bridge_message(*args: Any, **kwargs: Any) -> None:
        token = _write.set(_stamp())  # one identity for this write, whatever rules and deliveries it reaches
        try:
            send(*args, **kwargs)
        finally:
            _write.reset(token)

    return send_event_bridge_message


def _identified(send_to_targets: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(send_to_targets)
    def identified(self: Rule, original_event: Any, *args: Any, **kwargs: Any) -> None:
        write = _write.get()
        if write is not None and isinstance(original_event, dict) and original_event.get("source") == "aws.s3":
            original_event["id"] = write["id"]  # the write's own event, built by moto for this write alone
            original_event["detail"]["object"]["sequencer"] = write["sequencer"]
            original_event["detail"]["request-id"] = write["request-id"]
        return send_to_targets(self, original_event, *args, **kwargs)

    return identified


@functools.cache
def install() -> None:
    """Apply the addition to moto (after eventbridge's, whose delivery it wraps); once per process."""
    notifications._send_event_bridge_message = _stamped(notifications._send_event_bridge_message)  # type: ignore[assignment]
    Rule.send_to_targets = _identified(Rule.send_to_targets)  # type: ignore[method-assign]
