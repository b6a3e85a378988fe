"""The model of the operations: what each record's outcome must be after any sequence of uploads, redrives,
replays, resolves, sweeps and failed runs retried, computed from the inputs alone.

Records are judged by the end-to-end tier's own oracle (tests/e2e/helpers.py: the validation rules restated
from docs/validation.md, first complete record of an order id wins, the same content again is a duplicate,
other content a conflict), never by salesdq. The model adds what docs/operations.md says the operations do:
- a redrive (an edited `quarantine export`) is judged per line against the open quarantine: a line for an item that
  is not open changes nothing; a line with only an id, a correction identical to the quarantined record, or a
  valid correction whose order is stored with other content is refused (the item stays as it is), but the
  correction a record was last sent with and quarantined again, on a line exported before that (its `attempt`
  below the record's: the same file sent again), is `already redriven` and changes nothing; the rest
  run as one batch through the workflow, as a file would (the oracle carries the stored orders over), and a
  correction still invalid stays quarantined under the same id with its attempt raised and its new reasons.
  A correction of a record that is still quarantined is judged whatever export it came from (issue 22 #4).
- `replay file` under an unchanged contract changes no record's outcome and adds no file or record to the
  report (issue 22 #1, #2). A record a redrive has touched is the operator's correction now: a replay of its
  original bytes does not reopen or re-judge it (issue 22 #1: "history 2 ends in record.quarantined while
  order 2 is stored" is the defect). This reading is the model's; the replay engineer settles the exact rule.
- `quarantine resolve` closes a rejected file's item and nothing else (no run appears: issue 22 #5); a record's id
  is refused.
- a run that failed holds no record until it is finished (`runs retry`, or the same bytes uploaded again);
  then its records are judged as a first run of it would judge them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.helpers import Oracle, canonical, duplicated_keys, judge, order, parsed

POOL = ("A", "B", "C", "D", "E")  # few order ids, shared by every file: duplicates and conflicts happen
# A record's shape: two valid variants of different content (a conflict between them), three invalid ones.
SHAPES: dict[str, dict[str, Any]] = {
    "valid": {},
    "valid2": {"qty": "2"},
    "bad_qty": {"qty": 0},
    "bad_email": {"email": "nope"},
    "bad_name": {"name": "  "},
}
VALID_SHAPES = ("valid", "valid2")
INVALID_SHAPES = ("bad_qty", "bad_email", "bad_name")
ID_ONLY = object()  # a redrive line with only an id (no record)
# What a replay makes of a record whose order it stored itself: a `duplicate` (its order stays stored, the
# same content; docs/operations.md, "Replaying a file"), as the replay's run summary counts it and as a replay
# carries a record a redrive stored. Its `history` ends in record.duplicate and the order stays stored.
REPLAYED_STORED_RECORD = "duplicate"


def record(order_id: str, shape: str) -> dict[str, Any]:
    return order(order_id, **SHAPES[shape])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class RecordState:
    """One received record (its file's sha256 and index) and what must have become of it."""

    file_id: str
    file: str  # the key it was uploaded under
    index: int
    order_id: str
    record: Any  # what the quarantine holds of it: the original, or the latest correction
    arrival: str  # its outcome when its file was received
    outcome: str  # its current outcome: stored, duplicate or quarantined
    reasons: frozenset[tuple[str, str]]
    attempt: int = 1
    redriven: bool = False

    @property
    def quarantine_id(self) -> str:
        return f"{self.file_id}:{self.index}"

    @property
    def open(self) -> bool:
        return self.outcome == "quarantined"

    def describe(self) -> str:
        reasons = ", ".join(f"{f}: {r}" for f, r in sorted(self.reasons))
        said = f"{self.file}#{self.index} (order {self.order_id}): {self.outcome}"
        return f"{said} [{reasons}]" if reasons else said


@dataclass
class FileState:
    name: str  # its first upload's name
    key: str  # incoming/<name>
    data: bytes
    records: list[Any]
    status: str  # completed or failed (rejected files are not kept here)

    @property
    def file_id(self) -> str:
        return sha256(self.data)


@dataclass
class Redrive:
    """What the model says of one redrive request: which ids are redriven, which refused, which unchanged."""

    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # open, and sent before with this correction
    not_open: list[str] = field(default_factory=list)


@dataclass
class Model:
    oracle: Oracle = field(default_factory=Oracle)
    files: dict[str, FileState] = field(default_factory=dict)  # accepted files by sha256
    records: dict[str, RecordState] = field(default_factory=dict)  # by quarantine id, <sha256>:<index>
    uploads: int = 0  # file runs a report lists: every upload but one that finished a failed run
    rejected: dict[str, bool] = field(default_factory=dict)  # rejected file key -> its quarantine item is open

    # ------------------------------------------------------------------------------------------- uploads

    def receive(self, file: FileState) -> None:
        """The file's records judged, in file order, against what is stored (a first run, or a failed run
        finished)."""
        file.status = "completed"
        for index, (written, want) in enumerate(zip(file.records, self.oracle.run(file.records), strict=True)):
            assert want.order_id is not None
            state = RecordState(
                file.file_id, file.key, index, want.order_id, written, want.outcome, want.outcome, want.reasons
            )
            self.records[state.quarantine_id] = state

    def of_file(self, file_id: str) -> list[RecordState]:
        return [r for r in self.records.values() if r.file_id == file_id]

    def replay(self, file_id: str) -> None:
        """`replay file` under the same contract: no outcome changes but what REPLAYED_STORED_RECORD says, for a
        record stored by the file's own run or by a redrive since (docs/operations.md: the replay carries the
        redrive's outcome, a `duplicate` of the order the redrive stored); a record still quarantined stays so."""
        for state in self.of_file(file_id):
            if state.outcome == "stored":
                state.outcome = REPLAYED_STORED_RECORD

    # ------------------------------------------------------------------------------------------- redrive

    def redrive(self, lines: list[tuple[str, Any, int | None]]) -> Redrive:
        """Judge each (quarantine id, correction, the attempt its line was exported at) line, then run the accepted ones
        as one batch."""
        said = Redrive()
        batch: list[tuple[RecordState, Any]] = []
        for quarantine_id, correction, exported_at in lines:
            state = self.records[quarantine_id]
            if not state.open:
                said.not_open.append(quarantine_id)
            elif correction is not ID_ONLY and self._sent_before(state, correction, exported_at):
                said.already.append(quarantine_id)
            elif correction is ID_ONLY or self._unchanged(state, correction) or self._conflict(correction):
                said.refused.append(quarantine_id)
            else:
                said.accepted.append(quarantine_id)
                batch.append((state, correction))
        for (state, correction), want in zip(batch, self.oracle.run([c for _, c in batch]), strict=True):
            state.redriven = True
            state.outcome, state.reasons = want.outcome, want.reasons
            if want.outcome == "quarantined":
                state.record = correction
                state.attempt += 1
        return said

    @staticmethod
    def _sent_before(state: RecordState, correction: Any, exported_at: int | None) -> bool:
        """The correction the record was last redriven with (and quarantined again: it is the record now), on a
        line exported before that redrive: that line sent again (docs/operations.md, "Refusals and errors":
        `already redriven <id>: quarantined`, exit 0; the same corrections twice change nothing)."""
        return (
            state.redriven
            and exported_at is not None
            and exported_at < state.attempt
            and canonical(correction) == canonical(state.record)
        )

    @staticmethod
    def _unchanged(state: RecordState, correction: Any) -> bool:
        """The correction is the record as quarantined: refused, fix it first."""
        return canonical(correction) == canonical(state.record)

    def _conflict(self, correction: Any) -> bool:
        """A valid correction whose order is stored with other content: refused up front, never overwritten."""
        verdict = judge(parsed(correction), duplicated_keys(correction))
        stored = self.oracle.stored.get(verdict.order_id or "")
        return (
            verdict.normalized is not None and stored is not None and canonical(stored) != canonical(verdict.normalized)
        )

    # ------------------------------------------------------------------------------------------- what must hold

    def open_records(self) -> list[RecordState]:
        return [r for r in self.records.values() if r.open]

    def failed_files(self) -> list[FileState]:
        return [f for f in self.files.values() if f.status == "failed"]

    def expected_orders(self) -> dict[str, dict[str, Any]]:
        return self.oracle.expected_orders()

    def totals(self) -> dict[str, Any]:
        """The report's totals over the whole history: every file run once, each received record once, its
        outcome at arrival, and `quality_score_now` from its current outcome."""
        received = list(self.records.values())
        good = sum(1 for r in received if r.arrival != "quarantined")
        resolved = sum(1 for r in received if r.arrival == "quarantined" and not r.open)
        count = len(received)
        return {
            "files": self.uploads,
            "records": count,
            "stored": sum(1 for r in received if r.arrival == "stored"),
            "duplicates": sum(1 for r in received if r.arrival == "duplicate"),
            "quarantined": sum(1 for r in received if r.arrival == "quarantined"),
            "redriven": sum(1 for r in received if r.redriven),
            "quality_score": round(good / count, 4) if count else None,
            "quality_score_now": round((good + resolved) / count, 4) if count else None,
        }
