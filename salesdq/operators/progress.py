"""What following an execution reports while it runs, and the records it has done, read from the audit log.

A file's records are known once Prepare accepted it for this execution (the fingerprint's claim names the
execution and its run, the run's `file.accepted` event the records and partitions); records done are the sum
of the chunk markers' `counts` (`FILE#<file_id>`, sk `CHUNK#<partition>#<chunk>`). Chunks of a partition are
validated in order, so a read asks, in one BatchGetItem, only for the next marker of every partition, and
again while that finds some: each marker is read once, and a refresh with nothing new is one small request
however long the run. Until the file is accepted, and for a file that is rejected or a duplicate, only the
elapsed time is known. Nothing is read unless a display asks for it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import IO

from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.audit_events import EventKind

REFRESH_S = 1.0  # the fastest the audit log is read again for one execution


class Progress:
    """Receives what is known of each execution being followed; this one shows nothing (the command line's
    display, salesdq.cli.output.ProgressBar, draws it)."""

    wants_records = False  # reading records done costs reads: only a display that shows them asks

    def update(self, label: str, *, done: int | None = None, total: int | None = None, note: str = "") -> None:
        """The execution `label` is still running; `total` is None until its file's records are known."""

    def finish(self, label: str) -> None:
        """The execution `label` ended."""

    def done(self) -> None:
        """Nothing more is followed (called while the stack is still up)."""


def fingerprint(stream: IO[bytes]) -> str:
    """A file's id in the audit log: the sha256 of its bytes, as Prepare computes it."""
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


class RecordsDone:
    """The records one execution's file has done so far; read() asks the audit log at most every REFRESH_S."""

    def __init__(
        self, audit: AuditLog, file_id: str, execution: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._audit = audit
        self._file_id = file_id
        self._execution = execution
        self._clock = clock
        self._due = 0.0
        self._next_chunk: list[int] = []  # per partition, the first chunk not yet seen done
        self._at = ""  # the run's start time: its chunk markers' keys
        self.total: int | None = None
        self.done: int | None = None

    def read(self) -> tuple[int | None, int | None]:
        """(done, total), both None until Prepare accepted the file for this execution."""
        now = self._clock()
        if now >= self._due:
            self._due = now + REFRESH_S
            if self.total is None:
                self._accepted()
            if self.total is not None:
                self._new_markers()
        return self.done, self.total

    def _accepted(self) -> None:
        claim = self._audit.get(*audit_events.claim_key(self._file_id))
        if not claim or claim.get("execution") != self._execution:
            return  # not claimed yet, or a duplicate: another execution holds the file
        key = audit_events.file_event_key(self._file_id, str(claim["at"]), EventKind.FILE_ACCEPTED)
        accepted = self._audit.get(*key)
        if accepted and accepted.get("execution") == self._execution:
            self.total, self.done, self._at = int(accepted["records"]), 0, str(claim["at"])
            # The layout's partitions: the event counts only those that got records, not their numbers.
            self._next_chunk = [0] * int(claim.get("partitions") or accepted["partitions"])

    def _new_markers(self) -> None:
        # Chunks a failed run finished count too: a re-upload continues that run and does not redo them.
        while True:
            keys = [audit_events.chunk_key(self._file_id, self._at, p, c) for p, c in enumerate(self._next_chunk)]
            found = self._audit.get_many(keys, attributes=("counts",), consistent=False)
            if not found:
                return
            for partition, key in enumerate(keys):
                if key in found:
                    self.done = (self.done or 0) + sum(int(n) for n in found[key].get("counts", {}).values())
                    self._next_chunk[partition] += 1
