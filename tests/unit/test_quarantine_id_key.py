"""A quarantine id is stored under `quarantine_id` (a redriven record's origin, its quarantined event, a resolved
file's event); an audit log or redrive plan written before the glossary holds it under `dlq_id`, and every reader
takes either: the same log under either name folds to the same open items."""

from __future__ import annotations

from typing import Any

import pytest

from salesdq.operators.fold import fold
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.quarantine_message import Origin, from_record_event
from services.domain.run import Run

UPLOAD = Run(file_id="a" * 64, file="incoming/day.json", id="2026-12-01T00:00:00.000000Z", execution="upload")
BATCH = Run(file_id="b" * 64, file="redrive/r1.jsonl", id="2026-12-02T00:00:00.000000Z", execution="redrive-r1")
RECORD_ID = f"{UPLOAD.file_id}:3"  # the record's id is its original file's and index (the glossary)
FILE_ID = f"file:{UPLOAD.file_id}:{UPLOAD.execution}"  # a rejected file's


def _renamed(value: Any) -> Any:
    """The same stored document under the key's old name."""
    if isinstance(value, dict):
        return {("dlq_id" if k == "quarantine_id" else k): _renamed(v) for k, v in value.items()}
    return value


def _redriven_and_quarantined_again() -> dict[str, Any]:
    """The record `RECORD_ID`, redriven as line 0 of a batch and quarantined again at attempt 2."""
    origin = Origin(quarantine_id=RECORD_ID, file=UPLOAD.file, index=3, attempt=2)
    return audit_events.record_event(
        run=BATCH,
        index=0,
        outcome="quarantined",
        order_id="7",
        reasons=[{"field": "contact-info.email", "rule": "email", "message": "not an email"}],
        attempt=2,
        detail=origin.as_dict(),
        content={"quarantine_id": RECORD_ID, "record_json": '{"order-info": {"OrderId": "7"}}'},
    )


def test_the_key_is_written_under_its_new_name() -> None:
    event = _redriven_and_quarantined_again()
    assert (event["detail"]["quarantine_id"], event["quarantine_id"]) == (RECORD_ID, RECORD_ID)
    assert "dlq_id" not in event and "dlq_id" not in event["detail"]


@pytest.mark.parametrize("stored", [lambda e: e, _renamed], ids=["quarantine_id", "dlq_id"])
def test_a_redriven_record_folds_to_its_original_id_under_either_key(stored: Any) -> None:
    event = stored(_redriven_and_quarantined_again())
    open_items = fold([event]).quarantine()
    assert list(open_items) == [RECORD_ID]
    message = open_items[RECORD_ID]
    assert (message["id"], message["file"], message["index"], message["batch"]) == (
        RECORD_ID,
        UPLOAD.file,
        3,
        BATCH.file,
    )
    assert "dlq_id" not in message and "quarantine_id" not in message
    assert Origin.from_dict(event["detail"]).quarantine_id == RECORD_ID
    assert from_record_event(event) == message


@pytest.mark.parametrize("stored", [lambda e: e, _renamed], ids=["quarantine_id", "dlq_id"])
def test_a_resolved_file_closes_its_item_under_either_key(stored: Any) -> None:
    rejected = audit_events.file_event(
        run=UPLOAD, kind=EventKind.FILE_REJECTED, reason="truncated", quarantined_key="quarantine/files/x"
    )
    operator = Run(file_id=UPLOAD.file_id, file=UPLOAD.file, id="2026-12-03T00:00:00.000000Z", execution="")
    resolved = stored(
        audit_events.file_event(
            run=operator, kind=EventKind.FILE_RESOLVED, run_at=UPLOAD.id, quarantine_id=FILE_ID, note="fixed"
        )
    )
    assert list(fold([rejected]).quarantine()) == [FILE_ID]
    assert fold([rejected, resolved]).quarantine() == {}
