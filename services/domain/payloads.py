"""The payloads the ingest workflow's states pass each other (asl/ingest.asl.json), parsed by models in one place.

Each handler turns its payload (what Lambda passes as `handler(event, context)`'s `event`: Lambda's own name,
kept in the handlers' signatures) into one of these with `from_payload`; a missing field raises InvalidPayloadError
naming it (services/domain/parsing.py), so a payload the workflow did not send fails loudly instead of deep
inside a step. A run's fields (services/domain/run.py) travel flat in them, beside the step's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import AliasPath, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.domain.parsing import FLAT, InvalidPayloadError, parse
from services.domain.run import Run

__all__ = ["REPLAY_MARK", "ChunkJob", "FileJob", "FileRun", "InvalidPayloadError", "RunFailure"]

# The mark of a replay (salesdq replay file) in Prepare's `object`, which the workflow passes on whole: the run
# it replays, in its serialized form (Run.to_payload). An S3 event's object never holds it.
REPLAY_MARK = "replay-of"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _run_travels_flat(cls, data: Any) -> Any:
        """A payload holds its run's fields beside its own: the run is read from the payload itself."""
        if isinstance(data, Mapping) and FLAT in cls.model_fields and FLAT not in data:
            return {**data, FLAT: cls._run_fields(data)}
        return data

    @classmethod
    def _run_fields(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return data


class FileJob(_Payload):
    """Prepare's input: the uploaded object the execution was started for, in the version the event names
    (two uploads to one key at once are two versions, and each run reads its own). `run`: the run this
    execution starts (no file id yet); a retry of a failed run continues that one instead (Run.continued)."""

    bucket: str
    key: str = Field(validation_alias=AliasPath("object", "key"))
    state_machine: str  # ARN; names the claim holder's execution when a re-upload asks how it ended
    run: Run
    size: int = Field(default=0, validation_alias=AliasPath("object", "size"))
    version_id: str | None = Field(default=None, validation_alias=AliasPath("object", "version-id"))
    # None: the bucket keeps no versions (then the latest is read)
    sequencer: str | None = Field(default=None, validation_alias=AliasPath("object", "sequencer"))
    # S3's order of the writes to the key: one per write, the same on every delivery of its event (None: an
    # event without one, or a replay)

    @classmethod
    def _run_fields(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """The run's file is the uploaded key; a replay names the run it replays in the object (REPLAY_MARK)."""
        uploaded = data.get("object")
        uploaded = uploaded if isinstance(uploaded, Mapping) else {}
        return {**data, "file": uploaded.get("key", ""), "replay_of": uploaded.get(REPLAY_MARK)}

    @property
    def name(self) -> str:
        """The file's name, which says how its bytes are read (JSON Lines or JSON): the uploaded key; a replay's,
        the replayed run's file (its `key` is the retained bytes', raw/<file id>, which says nothing of them)."""
        return self.run.replay_of.file if self.run.replay_of else self.key

    @field_validator("size", mode="before")
    @classmethod
    def _no_size(cls, value: Any) -> Any:
        return value or 0

    @field_validator("version_id", mode="before")
    @classmethod
    def _no_version(cls, value: Any) -> str | None:
        return str(value) if value not in (None, "", "null") else None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> FileJob:
        return parse(cls, payload)


class ChunkJob(_Payload):
    """ValidateChunk's input: one chunk of one partition of a file's run."""

    run: Run
    partition: int
    chunk: int
    key: str  # the chunk's staged records
    attempt: int = 1
    payload_paths: ClassVar[dict[str, str]] = {"chunk": "chunk.chunk", "key": "chunk.key"}

    @model_validator(mode="before")
    @classmethod
    def _chunk_of_the_manifest(cls, data: Any) -> Any:
        """In a payload, `chunk` is the manifest's entry {"chunk", "key"} (anything else has neither); a job
        built by name gives its own `key`."""
        if not isinstance(data, Mapping) or "key" in data:
            return data
        entry = data.get("chunk")
        entry = entry if isinstance(entry, Mapping) else {}
        return {k: v for k, v in data.items() if k != "chunk"} | {k: entry[k] for k in ("chunk", "key") if k in entry}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ChunkJob:
        return _of_a_file_read(parse(cls, payload))

    @property
    def holder(self) -> str:
        """Who holds this chunk's write leases: the same for every retry of the chunk, so a retry may take its
        own leases again."""
        return f"{self.run.file_id}#{self.partition}#{self.chunk}"

    def source(self, index: int) -> str:
        """Where a record came from (`_source` of its stored order): the file's bytes and the record's place."""
        return f"{self.run.file_id}#{index}"


class FileRun(_Payload):
    """Finalize's input: Prepare's account of the run (how many records and chunks it staged)."""

    run: Run
    records: int
    chunks: int

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> FileRun:
        return _of_a_file_read(parse(cls, payload))


class RunFailure(_Payload):
    """RecordRunFailure's input: the run that stopped; its `file_id` is empty when Prepare itself failed (the
    file was not read to its end, so its fingerprint is unknown)."""

    run: Run

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RunFailure:
        return parse(cls, payload)


P = TypeVar("P", ChunkJob, FileRun)


def _of_a_file_read(payload: P) -> P:
    """A chunk's or a run's account is of a file read to its end: its run names the file's id."""
    if not payload.run.file_id:
        raise InvalidPayloadError("payload has no file_id")
    return payload
