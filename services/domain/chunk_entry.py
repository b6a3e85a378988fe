"""A record as a staged chunk holds it: `[index, record]`, or `[index, record, {"duplicate_keys": [...]}]`
when parsing found something the record itself no longer shows (keys its objects held twice: a parsed
object keeps only the last value). Prepare writes entries (services/ingest/split); validate-chunk reads both
shapes, so chunks staged before findings were carried still read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def staged(index: int, record: Any, duplicate_keys: Sequence[str] = ()) -> list[Any]:
    if duplicate_keys:
        return [index, record, {"duplicate_keys": list(duplicate_keys)}]
    return [index, record]


def read(entry: Sequence[Any]) -> tuple[int, Any, tuple[str, ...]]:
    """(index, record, duplicate key paths) of a staged entry of either shape."""
    index, record, *found = entry
    findings = found[0] if found and isinstance(found[0], dict) else {}
    return int(index), record, tuple(str(path) for path in findings.get("duplicate_keys", ()))
