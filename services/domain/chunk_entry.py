"""A record as a staged chunk holds it: `[index, record]`, or `[index, record, findings]` when parsing found
something the record itself no longer shows: `{"duplicate_keys": [...]}` (keys its objects held twice: a
parsed object keeps only the last value), or `{"unreadable": "why"}` (a JSON Lines line that could not be read
as JSON: the record is the line's raw text). Prepare writes entries (services/ingest/split.py); validate-chunk
reads every shape, so chunks staged before findings were carried still read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Findings:
    """What parsing found of one record, which the record as read cannot show (the contract judges both)."""

    duplicate_keys: tuple[str, ...] = ()
    unreadable: str | None = None  # why the line is no JSON value salesdq reads; the record is its raw text

    def __bool__(self) -> bool:
        return bool(self.duplicate_keys) or self.unreadable is not None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.duplicate_keys:
            found["duplicate_keys"] = list(self.duplicate_keys)
        if self.unreadable is not None:
            found["unreadable"] = self.unreadable
        return found


NOTHING = Findings()


def staged(index: int, record: Any, findings: Findings = NOTHING) -> list[Any]:
    return [index, record, findings.as_dict()] if findings else [index, record]


def read(entry: Sequence[Any]) -> tuple[int, Any, Findings]:
    """(index, record, findings) of a staged entry of any shape."""
    index, record, *found = entry
    if not found or not isinstance(found[0], dict) or not found[0]:
        return int(index), record, NOTHING
    unreadable = found[0].get("unreadable")
    paths = tuple(str(path) for path in found[0].get("duplicate_keys", ()))
    return int(index), record, Findings(paths, str(unreadable) if unreadable is not None else None)
