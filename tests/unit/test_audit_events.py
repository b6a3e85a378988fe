"""Audit event keys: deterministic (retries rewrite, never add), and only file events feed the by-day index."""

from __future__ import annotations

from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.quarantine_message import Origin
from services.domain.run import Run


def test_record_event_keys():
    e = audit_events.record_event(
        run=Run(file_id="F", file="k", id="2024-01-02T03:04:05Z", execution="x"),
        index=7,
        outcome="stored",
        order_id="A1",
        reasons=[],
    )
    assert (e["pk"], e["sk"]) == ("ORDER#A1", "2024-01-02T03:04:05Z#F#000000007")
    assert "day" not in e  # per-record writes stay one unit: no by-day index copy
    anon = audit_events.record_event(
        run=Run(file_id="F", file="k", id="T", execution="x"), index=7, outcome="quarantined", order_id=None, reasons=[]
    )
    assert (anon["pk"], anon["sk"]) == ("FILE#F", "RECORD#000000007#T")


def test_chunk_event_counts_every_outcome():
    e = audit_events.chunk_event(
        run=Run(file_id="F", file="k", id="T", execution="x"),
        partition=2,
        chunk=3,
        outcomes=[[0, "stored"], [1, "quarantined", "email"], [2, "stored"]],
    )
    assert (e["pk"], e["sk"]) == ("FILE#F", "CHUNK#T#00002#0000003")
    assert e["counts"] == {"stored": 2, "duplicate": 0, "quarantined": 1}
    assert e["sk"].startswith(audit_events.chunk_prefix("F", "T")[1])
    assert not e["sk"].startswith(audit_events.chunk_prefix("F", "U")[1])  # another run's markers are apart


def test_file_event_is_indexed_by_day():
    e = audit_events.file_event(
        run=Run(file_id="F", file="k", id="2024-05-06T07:08:09Z", execution="x"),
        kind=EventKind.FILE_REJECTED,
        reason="r",
    )
    assert (e["pk"], e["sk"], e["day"], e["reason"]) == (
        "FILE#F",
        "EVENT#2024-05-06T07:08:09Z#file.rejected",
        "2024-05-06",
        "r",
    )


def test_claim_key():
    e = audit_events.claim(run=Run(file_id="abc", file="k", id="T", execution="x"))
    assert (e["pk"], e["sk"]) == ("FINGERPRINT#abc", "CLAIM")


def test_a_records_terminal_event_has_one_key_whatever_its_outcome():
    # A chunk redone after a failure may decide differently (e.g. stored on the retry of a crashed attempt
    # that had written `duplicate`): it must rewrite the record's one event, never add a second terminal one.
    keys = {
        (e["pk"], e["sk"])
        for outcome in ("stored", "duplicate", "quarantined")
        for e in [
            audit_events.record_event(
                run=Run(file_id="F", file="k", id="T", execution="x"),
                index=7,
                outcome=outcome,
                order_id="A1",
                reasons=[],
            )
        ]
    }
    assert len(keys) == 1
    redriven = audit_events.record_event(
        run=Run(file_id="F", file="k", id="T", execution="x"), index=7, outcome="redriven", order_id="A1", reasons=[]
    )
    assert (redriven["pk"], redriven["sk"]) not in keys


def test_chunk_event_aggregates_failures_by_rule_and_field_with_a_few_quarantine_ids():
    outcomes = [[i, "quarantined", "email", "missing"] if i % 2 else [i, "stored"] for i in range(10)]
    fields = {i: ["contact-info.email", "contact-info.name", "contact-info.email"] for i in range(1, 10, 2)}
    e = audit_events.chunk_event(
        run=Run(file_id="F", file="k", id="T", execution="x"),
        partition=0,
        chunk=0,
        outcomes=outcomes,
        fields=fields,
        quarantine_ids={i: f"F:{i}" for i in range(1, 10, 2)},
    )
    assert e["failures"] == {"email": 5, "missing": 5}
    assert e["fields"] == {"contact-info.email": 5, "contact-info.name": 5}  # a record counts once a field
    assert e["examples"] == {rule: ["F:1", "F:3", "F:5"] for rule in ("email", "missing")}  # bounded
    assert "origins" not in e


def test_chunk_event_names_at_most_max_fields():
    many = {i: [f"extra.f{i:03d}"] for i in range(100)}
    outcomes = [[i, "quarantined", "number_range"] for i in range(100)]
    many[0].append("extra.f001")  # f001 fails twice: named first
    many[1].append("extra.f000")
    e = audit_events.chunk_event(
        run=Run(file_id="F", file="k", id="T", execution="x"), partition=0, chunk=0, outcomes=outcomes, fields=many
    )
    assert len(e["fields"]) == audit_events.MAX_FIELDS + 1
    assert list(e["fields"])[:2] == ["extra.f000", "extra.f001"]
    assert e["fields"][audit_events.OTHER_FIELDS] == 100 - audit_events.MAX_FIELDS
    assert sum(e["fields"].values()) == 102
    assert audit_events.capped_fields(e["fields"]) == e["fields"]  # folding again changes nothing


def test_a_redrive_batch_chunk_says_what_it_did_for_each_original_file():
    a, b = "a" * 64, "b" * 64
    origins = {
        0: Origin(f"{a}:3", "incoming/a.json", 3, 2),  # first redrive, stored
        1: Origin(f"{a}:4", "incoming/a.json", 4, 3),  # redriven a second time, now a duplicate
        2: Origin(f"{b}:0", "incoming/b.json", 0, 2),  # first redrive, quarantined again
    }
    e = audit_events.chunk_event(
        run=Run(file_id="B", file="k", id="T", execution="x"),
        partition=0,
        chunk=0,
        outcomes=[[0, "stored"], [1, "duplicate"], [2, "quarantined", "email"]],
        quarantine_ids={2: f"{b}:0"},
        origins=origins,
    )
    assert e["origins"] == {a: {"redriven": 1, "resolved": 2}, b: {"redriven": 1, "resolved": 0}}
    assert e["examples"] == {"email": [f"{b}:0"]}  # a redriven record keeps its first quarantine id


def test_file_redriven_is_keyed_by_the_original_file():
    batch = Run(file_id="B", file="redrive/r1.jsonl", id="T", execution="redrive-1")
    e = audit_events.file_redriven(file_id="A", batch=batch, redriven=2, resolved=1)
    assert (e["pk"], e["sk"]) == ("REDRIVEN#A", "T#B")
    assert (e["batch"], e["batch_file_id"], e["at"]) == ("redrive/r1.jsonl", "B", "T")
    assert e["pk"] == audit_events.redriven_pk("A")
    assert "day" not in e  # not in the by-day index: read by a keyed query of the file
