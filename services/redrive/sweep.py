"""The sweep: the quarantine queue made to agree with the quarantine view, at the end of every run that may have
resolved quarantined records (a redrive batch, a replay) and on an operator's `salesdq quarantine sweep`.

SQS deletes a message only by the receipt handle of a receive, so the sweep receives every message (hidden
until it ends, then released at once; a crashed sweep's hold expires on its own) and deletes those whose record
has ended in an outcome of its own (the view says resolved), those a later attempt superseded, and extra copies
of one id and attempt (delivery is at-least-once and a retried step sends again). What stays is one message per
open item. A message the view does not know is kept: nothing is deleted that the view cannot account for.
"""

from __future__ import annotations

from typing import Any

from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import RESOLVED, QuarantineView
from services.domain import quarantine_message


def sweep(queue: QuarantineQueue, view: QuarantineView) -> dict[str, int]:
    held = queue.hold_all()
    items = view.get_many(str(m["body"]["id"]) for m in held)
    keep: dict[tuple[str, int], dict[str, Any]] = {}
    drop: list[dict[str, Any]] = []
    for message in held:
        body = message["body"]
        item = items.get(str(body["id"]))
        attempt = quarantine_message.attempt_of(body)
        if item is not None and (item.get("status") == RESOLVED or attempt < int(item.get("attempt", 1))):
            drop.append(message)
            continue
        key = (str(body["id"]), attempt)
        kept = keep.get(key)
        if kept is None:
            keep[key] = message
        elif _rank(message, item) > _rank(kept, item):  # a replay sent the same id again: keep the view's body
            drop.append(kept)
            keep[key] = message
        else:
            drop.append(message)  # another copy of the same message
    queue.delete(drop)
    queue.release(keep.values())
    return {"held": len(held), "deleted": len(drop), "kept": len(keep)}


def _rank(message: dict[str, Any], item: dict[str, Any] | None) -> tuple[bool, int]:
    """Of two copies of one id and attempt, the one the view holds (its run's `at`), else the later sent."""
    body = message["body"]
    return (item is not None and body.get("at") == item.get("at"), int(message.get("sent_at_ms", 0)))
