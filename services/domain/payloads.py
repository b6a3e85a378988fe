"""The payloads the ingest workflow's states pass each other (asl/ingest.asl.json), parsed in one place.

Each handler turns its event into one of these with `from_event`; a missing field raises InvalidEventError
naming it, so a payload the workflow did not send fails loudly instead of deep inside a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class InvalidEventError(Exception):
    """The payload is not what the workflow sends; the message names the missing field."""


def require(event: Mapping[str, Any], *path: str) -> Any:
    value: Any = event
    for i, name in enumerate(path):
        if not isinstance(value, Mapping) or name not in value:
            raise InvalidEventError(f"payload has no {'.'.join(path[: i + 1])}")
        value = value[name]
    return value


# The mark of a replay (salesdq replay file) in Prepare's `object`, which the workflow passes on whole: the run
# it replays ({"at", "execution", "file"}). An S3 event's object never holds it.
REPLAY_MARK = "replay-of"


@dataclass(frozen=True)
class FileJob:
    """Prepare's input: the uploaded object the execution was started for, in the version the event names
    (two uploads to one key at once are two versions, and each run reads its own)."""

    bucket: str
    key: str
    size: int
    execution: str
    at: str
    state_machine: str = ""  # ARN; names the claim holder's execution when a re-upload asks how it ended
    version_id: str | None = None  # None: the bucket keeps no versions (then the latest is read)
    replay_of: Mapping[str, str] | None = None  # a replay of a file's run: that run's at, execution and file

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> FileJob:
        uploaded = require(event, "object")
        version = uploaded.get("version-id")
        replay_of = uploaded.get(REPLAY_MARK)
        return cls(
            bucket=require(event, "bucket"),
            key=require(event, "object", "key"),
            size=int(uploaded.get("size") or 0),
            execution=require(event, "execution"),
            at=require(event, "at"),
            state_machine=require(event, "state_machine"),
            version_id=str(version) if version not in (None, "", "null") else None,
            replay_of={k: str(replay_of[k]) for k in ("at", "execution", "file")} if replay_of else None,
        )


@dataclass(frozen=True)
class ChunkJob:
    """ValidateChunk's input: one chunk of one partition of a file's run."""

    file_id: str
    file: str
    at: str
    execution: str
    partition: int
    chunk: int
    key: str
    attempt: int = 1
    replay_of: str | None = None  # in a replay run, the `at` of the run it replays

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ChunkJob:
        replay_of = event.get("replay_of")
        return cls(
            file_id=require(event, "file_id"),
            file=require(event, "file"),
            at=require(event, "at"),
            execution=require(event, "execution"),
            partition=int(require(event, "partition")),
            chunk=int(require(event, "chunk", "chunk")),
            key=require(event, "chunk", "key"),
            replay_of=str(replay_of) if replay_of else None,
        )

    @property
    def holder(self) -> str:
        """Who holds this chunk's write leases: the same for every retry of the chunk, so a retry may take its
        own leases again."""
        return f"{self.file_id}#{self.partition}#{self.chunk}"

    def source(self, index: int) -> str:
        """Where a record came from (`_source` of its stored order): the file's bytes and the record's place."""
        return f"{self.file_id}#{index}"


@dataclass(frozen=True)
class FileRun:
    """Finalize's input: Prepare's account of the run (how many records and chunks it staged)."""

    file_id: str
    file: str
    at: str
    execution: str
    records: int
    chunks: int
    replay_of: str | None = None  # a replay run: the `at` of the run it replays

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> FileRun:
        replay_of = event.get("replay_of")
        return cls(
            file_id=require(event, "file_id"),
            file=require(event, "file"),
            at=require(event, "at"),
            execution=require(event, "execution"),
            records=int(require(event, "records")),
            chunks=int(require(event, "chunks")),
            replay_of=str(replay_of) if replay_of else None,
        )


@dataclass(frozen=True)
class RunFailure:
    """RecordRunFailure's input: the run that stopped; `file_id` is None when Prepare itself failed (the file
    was not read to its end, so its fingerprint is unknown)."""

    file: str
    execution: str
    at: str
    file_id: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> RunFailure:
        file_id = event.get("file_id")
        return cls(
            file=require(event, "file"),
            execution=require(event, "execution"),
            at=require(event, "at"),
            file_id=str(file_id) if file_id else None,
        )
