"""Audit events: the append-only log every outcome is written to, and the keys that serve its readers.

Keys (table `pk`/`sk`, all strings):
- one record's outcome:       pk `ORDER#<OrderId>`  sk `<at>#<file_id>#<index>`          -> history of an order
  (a record with no order id: pk `FILE#<file_id>`  sk `RECORD#<index>#<at>`; a redrive adds `#redriven`)
- one chunk's outcomes:       pk `FILE#<file_id>`   sk `CHUNK#<at>#<partition>#<chunk>`   -> outcomes of a run
- a file's events:            pk `FILE#<file_id>`   sk `EVENT#<at>#<kind>`; with `day`/`at` -> GSI by-day (reports)
- a fingerprint claim:        pk `FINGERPRINT#<sha256>` sk `CLAIM`                       -> duplicate uploads
`at` is the start time of the file's run (the execution that claimed it, or the failed one a re-upload takes
over), so a retried step, or a retried run, rewrites the same keys instead of adding events.
Only file-level events carry `day`: the by-day index stays sparse and per-record writes cost one unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from services.domain.outcomes import Outcome


class EventKind(StrEnum):
    RECORD_STORED = "record.stored"
    RECORD_DUPLICATE = "record.duplicate"
    RECORD_QUARANTINED = "record.quarantined"
    RECORD_REDRIVEN = "record.redriven"  # not an outcome: the step between quarantined and the next outcome
    REDRIVE_REQUESTED = "redrive.requested"  # a redrive request's first call (not a history event)
    CHUNK_PROCESSED = "chunk.processed"  # a chunk's outcomes; written last, so it marks the chunk done
    CHUNK_FAILED = "chunk.failed"  # a chunk failed past its retries: no outcome of its records counts yet
    FILE_CLAIMED = "file.claimed"  # the fingerprint's claim (not a history event: it changes hands)
    FILE_ACCEPTED = "file.accepted"
    FILE_REJECTED = "file.rejected"
    FILE_DUPLICATE = "file.duplicate"
    FILE_RETRIED = "file.retried"  # a re-upload took over the claim of a run whose execution failed
    FILE_COMPLETED = "file.completed"
    FILE_FAILED = "file.failed"  # the run stopped; uploading the file again continues it
    FILE_RESOLVED = "file.resolved"  # an operator closed a rejected file's DLQ item (`salesdq dlq resolve`)


TERMINAL = {
    EventKind.RECORD_STORED: Outcome.STORED,
    EventKind.RECORD_DUPLICATE: Outcome.DUPLICATE,
    EventKind.RECORD_QUARANTINED: Outcome.QUARANTINED,
}
REDRIVEN = "redriven"  # the `outcome` field of a record.redriven event


def record_kind(outcome: str) -> EventKind:
    return EventKind(f"record.{outcome}")


def order_pk(order_id: str) -> str:
    """The partition of an order's history: every record event of that order id, from every file."""
    return f"ORDER#{order_id}"


def file_pk(file_id: str) -> str:
    return f"FILE#{file_id}"


def record_event(
    *,
    file_id: str,
    file: str,
    index: int,
    outcome: str,
    order_id: str | None,
    reasons: list[dict[str, str]],
    at: str,
    execution: str,
    attempt: int = 1,
    detail: dict[str, Any] | None = None,
    content: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`content`: what rebuilds the record's projection (its stored item, its DLQ id and record, ...)."""
    kind = record_kind(outcome)
    # One terminal event per record and run: its key holds no outcome, so a step redone after a failure
    # rewrites the record's event whatever it decides this time, instead of adding a second one.
    step = "#redriven" if kind == EventKind.RECORD_REDRIVEN else ""
    if order_id:
        pk, sk = order_pk(order_id), f"{at}#{file_id}#{index:09d}{step}"
    else:
        pk, sk = file_pk(file_id), f"RECORD#{index:09d}#{at}{step}"
    event: dict[str, Any] = {
        "pk": pk,
        "sk": sk,
        "event": kind,
        "outcome": outcome,
        "file": file,
        "file_id": file_id,
        "index": index,
        "order_id": order_id,
        "reasons": reasons,
        "attempt": attempt,
        "at": at,
        "execution": execution,
    }
    if detail:
        event["detail"] = detail
    if content:
        event |= content
    return event


def chunk_key(file_id: str, at: str, partition: int, chunk: int) -> tuple[str, str]:
    """A chunk of one run: a retried run keeps its `at` (and finds its markers); a replay is a run of its own."""
    return file_pk(file_id), f"CHUNK#{at}#{partition:05d}#{chunk:07d}"


def chunk_event(
    *, file_id: str, partition: int, chunk: int, outcomes: list[list[Any]], at: str, execution: str
) -> dict[str, Any]:
    """Compact outcomes of one chunk: [[index, outcome, rules...], ...]; written last, so it marks completion."""
    counts = dict.fromkeys(Outcome, 0)
    failures: dict[str, int] = {}
    for entry in outcomes:
        counts[entry[1]] += 1
        for rule in entry[2:]:
            failures[rule] = failures.get(rule, 0) + 1
    pk, sk = chunk_key(file_id, at, partition, chunk)
    return {
        "pk": pk,
        "sk": sk,
        "event": EventKind.CHUNK_PROCESSED,
        "file_id": file_id,
        "outcomes": outcomes,
        "counts": {str(outcome): count for outcome, count in counts.items()},
        "failures": failures,
        "at": at,
        "execution": execution,
    }


def chunk_failure_key(file_id: str, at: str, partition: int, chunk: int) -> tuple[str, str]:
    return file_pk(file_id), f"FAILED#{at}#{partition:05d}#{chunk:07d}"


def chunk_failure_prefix(file_id: str, at: str) -> tuple[str, str]:
    return file_pk(file_id), f"FAILED#{at}#"


def chunk_failure(
    *, file_id: str, partition: int, chunk: int, key: str, reason: str, at: str, execution: str
) -> dict[str, Any]:
    pk, sk = chunk_failure_key(file_id, at, partition, chunk)
    return {
        "pk": pk,
        "sk": sk,
        "event": EventKind.CHUNK_FAILED,
        "file_id": file_id,
        "partition": partition,
        "chunk": chunk,
        "key": key,
        "reason": reason,
        "at": at,
        "execution": execution,
    }


def file_event_key(file_id: str, at: str, kind: EventKind) -> tuple[str, str]:
    return file_pk(file_id), f"EVENT#{at}#{kind}"


def file_event(*, file_id: str, kind: EventKind, at: str, file: str, **detail: Any) -> dict[str, Any]:
    pk, sk = file_event_key(file_id, at, kind)
    return {
        "pk": pk,
        "sk": sk,
        "event": kind,
        "file_id": file_id,
        "file": file,
        "day": at[:10],
        "at": at,
        **detail,
    }


def claim_key(fingerprint: str) -> tuple[str, str]:
    return f"FINGERPRINT#{fingerprint}", "CLAIM"


def claim(*, fingerprint: str, file: str, at: str, execution: str, **detail: Any) -> dict[str, Any]:
    """The fingerprint's claim: `execution` holds it; `at` names the run whose writes it covers (a retry
    that takes the claim over keeps it); detail: the run's chunk layout, and what a takeover retried."""
    pk, sk = claim_key(fingerprint)
    return {
        "pk": pk,
        "sk": sk,
        "event": EventKind.FILE_CLAIMED,
        "file_id": fingerprint,
        "file": file,
        "at": at,
        "execution": execution,
        **detail,
    }


def redrive_request(*, request_id: str, at: str) -> dict[str, Any]:
    """A redrive request's first call: its `at` keys the request's events, so a retried call rewrites them."""
    return {"pk": f"REDRIVE#{request_id}", "sk": "REQUEST", "event": EventKind.REDRIVE_REQUESTED, "at": at}


def chunk_prefix(file_id: str, at: str) -> tuple[str, str]:
    """Every chunk marker of one run of a file."""
    return file_pk(file_id), f"CHUNK#{at}#"


CHUNK_SUMMARY = ("counts", "failures", "at")  # what a file's summary needs of each chunk event
