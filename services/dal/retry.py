"""The one backoff loop for what AWS hands back unprocessed (BatchWriteItem's UnprocessedItems, BatchGetItem's
UnprocessedKeys, SendMessageBatch's failed entries): resent with capped exponential backoff, a bounded number
of times; what is still left then fails the step (UnprocessedError), so the workflow's retry takes over."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from services.dal.errors import UnprocessedError

T = TypeVar("T")

FIRST_DELAY_S = 0.05
MAX_DELAY_S = 2.0
MAX_ATTEMPTS = 10  # ~10 s of backoff in all, beside botocore's own retries of each call


def until_done(
    attempt: Callable[[T], T | None], pending: T, what: str, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Call attempt(pending) until it returns nothing left; it returns what is still pending (falsy: done)."""
    delay = FIRST_DELAY_S
    left: T | None = attempt(pending)
    for _ in range(MAX_ATTEMPTS - 1):
        if not left:
            return
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY_S)
        left = attempt(left)
    if left:
        raise UnprocessedError(f"{what}: still unprocessed after {MAX_ATTEMPTS} attempts")
