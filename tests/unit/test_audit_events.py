"""Audit event keys: deterministic (retries rewrite, never add), and only file events feed the by-day index."""

from __future__ import annotations

from services.domain import audit_events
from services.domain.audit_events import EventKind


def test_record_event_keys():
    e = audit_events.record_event(
        file_id="F",
        file="k",
        index=7,
        outcome="stored",
        order_id="A1",
        reasons=[],
        at="2024-01-02T03:04:05Z",
        execution="x",
    )
    assert (e["pk"], e["sk"]) == ("ORDER#A1", "2024-01-02T03:04:05Z#F#000000007")
    assert "day" not in e  # per-record writes stay one unit: no by-day index copy
    anon = audit_events.record_event(
        file_id="F", file="k", index=7, outcome="quarantined", order_id=None, reasons=[], at="T", execution="x"
    )
    assert (anon["pk"], anon["sk"]) == ("FILE#F", "RECORD#000000007#T")


def test_chunk_event_counts_every_outcome():
    e = audit_events.chunk_event(
        file_id="F",
        partition=2,
        chunk=3,
        outcomes=[[0, "stored"], [1, "quarantined", "email"], [2, "stored"]],
        at="T",
        execution="x",
    )
    assert (e["pk"], e["sk"]) == ("FILE#F", "CHUNK#T#00002#0000003")
    assert e["counts"] == {"stored": 2, "duplicate": 0, "quarantined": 1}
    assert e["sk"].startswith(audit_events.chunk_prefix("F", "T")[1])
    assert not e["sk"].startswith(audit_events.chunk_prefix("F", "U")[1])  # another run's markers are apart


def test_file_event_is_indexed_by_day():
    e = audit_events.file_event(
        file_id="F", kind=EventKind.FILE_REJECTED, at="2024-05-06T07:08:09Z", file="k", reason="r"
    )
    assert (e["pk"], e["sk"], e["day"], e["reason"]) == (
        "FILE#F",
        "EVENT#2024-05-06T07:08:09Z#file.rejected",
        "2024-05-06",
        "r",
    )


def test_claim_key():
    e = audit_events.claim(fingerprint="abc", file="k", at="T", execution="x")
    assert (e["pk"], e["sk"]) == ("FINGERPRINT#abc", "CLAIM")


def test_a_records_terminal_event_has_one_key_whatever_its_outcome():
    # A chunk redone after a failure may decide differently (e.g. stored on the retry of a crashed attempt
    # that had written `duplicate`): it must rewrite the record's one event, never add a second terminal one.
    keys = {
        (e["pk"], e["sk"])
        for outcome in ("stored", "duplicate", "quarantined")
        for e in [
            audit_events.record_event(
                file_id="F", file="k", index=7, outcome=outcome, order_id="A1", reasons=[], at="T", execution="x"
            )
        ]
    }
    assert len(keys) == 1
    redriven = audit_events.record_event(
        file_id="F", file="k", index=7, outcome="redriven", order_id="A1", reasons=[], at="T", execution="x"
    )
    assert (redriven["pk"], redriven["sk"]) not in keys
