"""What can become of a record: exactly one terminal outcome, and the record's outcome as the steps pass it on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.domain.contract import Reason


class Outcome(StrEnum):
    STORED = "stored"  # the first complete record of its order id: written to the orders table
    DUPLICATE = "duplicate"  # the same content as the stored order of its id
    QUARANTINED = "quarantined"  # incomplete, conflicting, or not storable: in the quarantine queue with its reasons


@dataclass
class RecordOutcome:
    index: int  # 0-based place in its file
    outcome: Outcome
    order_id: str | None
    reasons: list[Reason] = field(default_factory=list)
    raw: Any = None  # the record as it arrived, for the quarantine queue
    item: dict[str, Any] | None = None  # a stored record's orders-table item, as written: the log can rebuild it
    duplicate_of: str | None = None  # a duplicate's stored order's `_source`
    # In a replay run, the quarantine-view item of a record a redrive has taken on since: this outcome is the
    # redrive's, carried into the run (the replay does not judge the record's original bytes again).
    carried: dict[str, Any] | None = None
    warnings: Sequence[Reason] = ()  # the contract's warnings of a record it passed
    # its order id repeats an earlier complete record's of the same file (a file-level duplicateValues counts it)
    repeat: bool = False

    @property
    def rules(self) -> list[str]:
        return sorted({reason.rule for reason in self.reasons})
