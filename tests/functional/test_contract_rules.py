"""A contract's warnings and file-level rules through ValidateChunk and Finalize (docs/contracts.md#severity,
docs/contracts.md#file-level-rules): a record failing only a warning rule is stored, its event names the warning,
the run counts warnings by rule apart from failures; expectations come from the records written here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.contract import load
from services.domain.audit_events import EventKind
from services.domain.contract import judging_by
from services.ingest.finalize import finalize

from .test_finalize import chunk, order, run

CONTRACTS = Path(__file__).parents[1] / "data" / "contracts"


@pytest.fixture
def email_warning() -> Iterator[None]:
    with judging_by(load(CONTRACTS / "email-warning.odcs.yaml")):
        yield


def test_a_record_failing_a_warning_rule_is_stored_and_its_event_and_run_count_the_warning(aws, email_warning):
    records = [order("A"), order("B", email="a@localhost"), order("C", email="x@", qty=0), order("D", email="y@")]
    chunk(aws, 0, 0, [[i, r] for i, r in enumerate(records)])
    summary = finalize(run(records=4, chunks=1), aws.stores.audit)

    # A fine; B and D fail only the email rule (a warning): stored; C fails qty too (an error): quarantined
    assert (summary["stored"], summary["quarantined"]) == (3, 1)
    assert summary["failures_by_rule"] == {"positive_whole": 1}
    assert set(aws.orders()) == {"A", "B", "D"}
    events = {e["order_id"]: e for e in aws.audit() if e["event"].startswith("record.")}
    assert events["B"]["event"] == EventKind.RECORD_STORED and events["B"]["reasons"] == []
    assert events["B"]["warnings"] == [
        {"field": "contact-info.email", "rule": "email", "message": "email is not a valid email address"}
    ]
    assert "warnings" not in events["A"]
    assert [r["rule"] for r in events["C"]["reasons"]] == ["positive_whole"]
    (completed,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_COMPLETED]
    assert completed["warnings_by_rule"] == {"email": 2}  # B and D: warnings count of records the contract passed
    assert completed["failures_by_rule"] == {"positive_whole": 1}
