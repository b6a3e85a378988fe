"""The one backoff loop for what AWS hands back unprocessed (BatchWriteItem's UnprocessedItems, BatchGetItem's
UnprocessedKeys, SendMessageBatch's failed entries): resent with capped exponential backoff, never dropped."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0


def until_done(attempt: Callable[[T], T | None], pending: T, sleep: Callable[[float], None] = time.sleep) -> None:
    """Call attempt(pending) until it returns nothing left; it returns what is still pending (falsy: done)."""
    delay = FIRST_DELAY_S
    left: T | None = attempt(pending)
    while left:
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY_S)
        left = attempt(left)
