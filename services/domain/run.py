"""A run: one pass of a file's bytes through the ingest workflow, as one value with one serialized form.

What identifies a run travels together everywhere: the file's id (its sha256), the file (its S3 key, the name
its records keep), the run's id, the execution working on it, and for a replay (`salesdq replay file`) the run
it replays, itself a `Run`. Payloads hold one (services/domain/payloads.py), and every audit event and
quarantine message of a run is built from one (services/domain/audit_events.py, quarantine_message.py).

A run's id is an id, its time is a time: `id` is only ever copied and compared (it keys every item the run
writes: `EVENT#<id>#<kind>`, `CHUNK#<id>#...`, `FAILED#<id>#...`, `<id>#<file_id>#<index>`), and `started`
is the time it names. Decision: the id's text is the start time of the execution that began the run, as Step
Functions gives it (`$$.Execution.StartTime`, e.g. `2026-01-01T09:00:00.123Z`), kept byte for byte, never
rendered again from a datetime; and it travels, and is stored, under the name `at`. So every key stays what
existing logs hold (they still fold, and a retried or continued run finds its own keys), keys still sort in
the order runs started, and no code builds a key from a time or reads a time out of a key's text by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.domain.active_contract import ContractRef
from services.domain.parsing import parse

RUN_FIELDS = ("file_id", "file", "at", "execution")  # a run's fields as its audit events store them


class Run(BaseModel):
    """A run of a file; its `file_id` is empty while the file has not been read to its end (Prepare's input,
    or a run whose Prepare failed): its fingerprint is not known yet."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True, extra="ignore")

    file: str
    id: str = Field(validation_alias="at", serialization_alias="at")
    execution: str
    file_id: str = ""
    replay_of: Run | None = None  # a replay: the run it replays (of the same file)
    # the contract every step of the run judges by, read when it started (services/domain/active_contract.py);
    # None: a run from before contracts were published, judged by the default shipped with the functions
    contract: ContractRef | None = None

    @field_validator("file_id", mode="before")
    @classmethod
    def _not_read_yet(cls, value: Any) -> Any:
        return value or ""  # a payload may say null: the file has no id yet

    @property
    def started(self) -> datetime:
        """When the run started: the time its id names."""
        return datetime.fromisoformat(self.id)

    @property
    def day(self) -> str:
        """The day the run started (UTC), as the audit log's by-day index keys it."""
        return self.started.date().isoformat()

    def to_payload(self) -> dict[str, Any]:
        """The run's one serialized form, in payloads, claims and results: {"file_id", "file", "at",
        "execution", "replay_of", "contract"} (`replay_of` a run's form too, or None; `contract` {"version",
        "digest", "key"}, or None)."""
        return self.model_dump(by_alias=True, include={"file_id", "file", "id", "execution", "replay_of", "contract"})

    @classmethod
    def from_payload(cls, payload: Any) -> Run:
        """The run `to_payload` wrote; InvalidPayloadError naming a missing field."""
        return parse(cls, payload)

    def stored(self) -> dict[str, Any]:
        """The run's fields an audit event holds (a replay's mark is an event of its own: file.replayed)."""
        payload = self.to_payload()
        return {name: payload[name] for name in RUN_FIELDS}

    def continued(self, file_id: str, claim: dict[str, Any]) -> Run:
        """This execution's part in the run its claim covers: the claim's run id and file name (a retry of a
        failed run writes on that run's keys, under the name its records have), replaying what the claim's
        run replays, judged by the claim's contract (one run, one contract, whatever was published since)."""
        replayed, judged_by = claim.get("replay_of"), claim.get("contract")
        return self.model_copy(
            update={
                "file_id": file_id,
                "id": str(claim["at"]),
                "file": str(claim.get("file") or self.file),
                "replay_of": Run.from_payload(replayed) if replayed else None,
                "contract": ContractRef.from_payload(judged_by) if judged_by else self.contract,
            }
        )

    def judged_by(self, contract: ContractRef) -> Run:
        """The run, judging by `contract` (Prepare names the active one when the run starts)."""
        return self.model_copy(update={"contract": contract})
