"""The quarantine message: the one document operators list, export, edit and send back.

A message is built here for a quarantined record (validate-chunk) or a rejected file (Prepare), and read here
by every reader (`quarantine list`, `quarantine export`, redrive). Its `id` names the quarantined thing, not the
message: `<file sha256>:<index>` for a record, so redeliveries and retries collapse to one item per id (the highest
`attempt` wins), and a redriven record keeps its id, its original file and index, with its attempt raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from services.domain import json_codec
from services.domain.inline import MAX_INLINE_BYTES, Offload
from services.domain.run import Run

T = TypeVar("T")

# An SQS message holds at most 256 KiB: a record larger than MAX_INLINE_BYTES as it travels in the message
# (JSON with every non-ASCII character escaped, the form SQS takes; see QuarantineQueue.send), or a message
# that would pass MAX_MESSAGE_BYTES with it, travels as an S3 reference under this prefix.
MAX_MESSAGE_BYTES = 250_000
QUARANTINED_RECORDS = "quarantine/records"
# What `quarantine export` writes of a message, in this order, before the record itself.
EXPORTED = ("id", "kind", "file", "index", "order_id", "reasons", "attempt")


# The key a quarantine id is stored under (a redriven record's origin, a resolved file's and a quarantined record's
# audit event). Before the glossary it was "dlq_id": an audit log, a redrive plan or a batch written then holds that
# name, which every reader still takes (`quarantine_id_in`).
ID_KEY = "quarantine_id"
OLD_ID_KEY = "dlq_id"


def quarantine_id_in(stored: Mapping[str, Any]) -> str | None:
    """The quarantine id a stored mapping names, under its key or its old one; None when it names none."""
    found = stored.get(ID_KEY, stored.get(OLD_ID_KEY))
    return None if found is None else str(found)


class Kind(StrEnum):
    RECORD = "record"
    FILE = "file"


@dataclass(frozen=True)
class Origin:
    """Where a redriven record came from: its quarantine id, original file and index, and the attempt it is on."""

    quarantine_id: str
    file: str
    index: int
    attempt: int

    def as_dict(self) -> dict[str, Any]:
        return {ID_KEY: self.quarantine_id, "file": self.file, "index": self.index, "attempt": self.attempt}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Origin:
        return cls(str(quarantine_id_in(value)), str(value["file"]), int(value["index"]), int(value["attempt"]))


def record_id(file_id: str, index: int) -> str:
    return f"{file_id}:{index}"


def for_record(
    *,
    run: Run,
    index: int,
    order_id: str | None,
    reasons: list[dict[str, str]],
    attempt: int,
    record: Any,
    bucket: str,
    origin: Origin | None = None,
) -> tuple[dict[str, Any], Offload | None]:
    """A quarantined record's message in run `run`, and the S3 object to write first when the record is too
    large."""
    file_id, file = run.file_id, run.file
    message: dict[str, Any] = {
        "kind": Kind.RECORD,
        "id": record_id(file_id, index),
        "file": file,
        "file_id": file_id,
        "index": index,
        "order_id": order_id,
        "reasons": reasons,
        "attempt": attempt,
        "at": run.id,
    }
    if origin is not None:  # a redriven record keeps its quarantine id and original place, with its attempt raised
        message |= {
            "id": origin.quarantine_id,
            "file": origin.file,
            "index": origin.index,
            "attempt": origin.attempt,
            "batch": file,
        }
    record_bytes = len(json_codec.dumps(record, ascii=True))
    envelope_bytes = len(json_codec.dumps(message, ascii=True)) + len(',"record":')
    if record_bytes <= MAX_INLINE_BYTES and envelope_bytes + record_bytes <= MAX_MESSAGE_BYTES:
        return message | {"record": record}, None
    key = f"{QUARANTINED_RECORDS}/{file_id}/{index:09d}.json"
    return message | {"record_ref": {"bucket": bucket, "key": key}}, Offload(key, record)


def for_file(*, run: Run, reasons: list[dict[str, str]], quarantined_key: str) -> dict[str, Any]:
    """The message of the file run `run` rejected: the file is kept at `quarantined_key`; it is fixed by
    uploading it again."""
    return {
        "kind": Kind.FILE,
        "id": f"file:{run.file_id}:{run.execution}",
        "file": run.file,
        "file_id": run.file_id,
        "quarantined_key": quarantined_key,
        "reasons": reasons,
        "attempt": 1,
        "at": run.id,
    }


def from_record_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The quarantine message a quarantined record's audit event says was sent: the event holds the message's every
    field (the record as JSON text, or its reference; a redriven record's origin in `detail`)."""
    message: dict[str, Any] = {
        "kind": Kind.RECORD,
        "id": record_id(str(event["file_id"]), int(event["index"])),
        "file": event["file"],
        "file_id": event["file_id"],
        "index": int(event["index"]),
        "order_id": event.get("order_id"),
        "reasons": list(event.get("reasons") or []),
        "attempt": int(event.get("attempt", 1)),
        "at": event["at"],
    }
    origin = event.get("detail")
    if origin and quarantine_id_in(origin) is not None:
        message |= Origin.from_dict(origin).as_dict() | {"batch": event["file"]}
        message["id"] = message.pop(ID_KEY)
    if "record_ref" in event:
        return message | {"record_ref": dict(event["record_ref"])}
    return message | {"record": json_codec.loads(event["record_json"]) if "record_json" in event else None}


def from_rejected_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The quarantine message of a rejected file, as its `file.rejected` event records it."""
    return for_file(
        run=Run.from_payload(event),
        reasons=file_reasons(str(event.get("reason"))),
        quarantined_key=str(event["quarantined_key"]),
    )


def file_reasons(reason: str) -> list[dict[str, str]]:
    return [{"field": "$file", "rule": "file_rejected", "message": reason}]


def attempt_of(body: dict[str, Any]) -> int:
    return int(body.get("attempt", 1))


def record_ref_key(body: dict[str, Any]) -> str | None:
    """The S3 key holding the record, when it travelled by reference."""
    ref = body.get("record_ref")
    return str(ref["key"]) if ref else None


def collapse(messages: Iterable[T], body: Callable[[T], dict[str, Any]], sent_at: Callable[[T], int]) -> list[T]:
    """One message per id, the highest attempt's (the latest sent on a tie), oldest first: delivery is
    at-least-once and a retried step sends again under the same id."""
    latest: dict[str, T] = {}
    for message in messages:
        key = str(body(message)["id"])
        known = latest.get(key)
        if known is None or attempt_of(body(message)) >= attempt_of(body(known)):
            latest[key] = message
    return sorted(latest.values(), key=lambda m: (sent_at(m), str(body(m)["id"])))


def export_line(body: dict[str, Any], record: Any) -> dict[str, Any]:
    """What `quarantine export` writes for a message: the fields an operator reads, then the record (or, for a
    rejected file, where the file is kept)."""
    line = {key: body.get(key) for key in EXPORTED}
    if body.get("kind") == Kind.FILE:
        line["quarantined_key"] = body.get("quarantined_key")
    else:
        line["record"] = record
    return line


def rules_summary(body: dict[str, Any]) -> str:
    return "; ".join(f"{r['field']}: {r['rule']}" for r in body.get("reasons", []))
