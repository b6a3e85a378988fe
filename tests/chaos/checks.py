"""A chaos run held against its scenario's oracle: the orders table, the quarantine queue, the audit log, the results.

Every check collects what disagrees and `verify` fails once with all of it, so one failing case says every
promise it broke. The promises:
- every record of a file ends in exactly one terminal outcome, the one the oracle says, and the file's summary
  (its file.completed event and the follower's result) equals its audit events;
- a transient fault never becomes an outcome: it is retried, and a run that fails past its retries fails
  visibly (status failed, a reason naming the chunk and the error) and a re-upload finishes it as a first run
  would have;
- the first complete record in file order (and upload order across files) wins: its content and `_source`;
- one quarantine message per quarantined record id, with its rules; copies identical, or ordered by attempt;
- the follower reports the execution that holds the file's claim and completed it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from tests.e2e.helpers import METADATA, TERMINAL, canonical

from .oracle import FileExpectation
from .runner import ChaosRun

MAX_REASON_CHARS = 500  # the follower's reason is cut there (salesdq.operators.follow.result_of)
MAX_LISTED = 40


def verify(run: ChaosRun, *, claims: bool = True) -> None:
    """Every check; fails once, listing every disagreement. `claims` False: the audit log at hand holds no
    claims (`salesdq local run --out` exports none)."""
    problems = [
        *check_results(run),
        *(check_claims(run) if claims else []),
        *check_orders(run),
        *check_audit(run),
        *check_quarantine_queue(run),
    ]
    if problems:
        shown = problems[:MAX_LISTED]
        more = f"\n... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise AssertionError(f"{run.headline()}\n" + "\n".join(shown) + more)


def _pairs(reasons: Any) -> frozenset[tuple[str, str]]:
    return frozenset((str(r.get("field")), str(r.get("rule"))) for r in reasons or [])


def _file_events(run: ChaosRun, file_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in run.audit if e.get("file_id") == file_id and e.get("event") == kind]


def _run_at(run: ChaosRun, file_id: str) -> str | None:
    """The `at` of the file's run that completed it."""
    completed = _file_events(run, file_id, "file.completed")
    return str(completed[0]["at"]) if len(completed) == 1 else None


# ----------------------------------------------------------------------------------------- results


def check_results(run: ChaosRun) -> list[str]:
    problems = []
    for tries, expectation in zip(run.files, run.scenario.expectations, strict=True):
        name = tries.file.name
        final = tries.final
        got = {"records": final.records, "stored": final.stored, "duplicates": final.duplicates}
        got["quarantined"] = final.quarantined
        if final.status != "completed":
            problems.append(f"{name}: ended {final.status} after {len(tries.attempts)} uploads: {final.reason}")
        elif got != expectation.counts:
            problems.append(f"{name}: reported {got}, expected {expectation.counts}")
        for attempt in tries.attempts[:-1]:
            problems += _failed_visibly(run, name, attempt.result.status, attempt.result.reason, attempt.result)
        if tries.attempts[-1].paused and final.status != "completed":
            problems.append(f"{name}: the upload with the faults paused did not complete it")
    return problems


def _failed_visibly(run: ChaosRun, name: str, status: str, reason: str | None, result: Any) -> list[str]:
    """A failed upload's result: status failed, one readable line; naming the chunk and the error when a
    chunk failed, and the run's file.failed reason when it was recorded."""
    if status != "failed":
        return [f"{name}: an upload before the last ended {status}, not failed: {reason}"]
    problems = []
    if not reason or "\n" in reason or "Traceback" in reason or 'File "' in reason:
        problems.append(f"{name}: a failed run's reason is not one readable line: {reason!r}")
        return problems
    file_id = next(f.file.file_id for f in run.files if f.file.name == name)
    failed = [e for e in _file_events(run, file_id, "file.failed") if e.get("execution") == result.execution]
    for event in failed:
        if str(event["reason"])[: MAX_REASON_CHARS // 2] not in reason:
            problems.append(f"{name}: the result's reason {reason!r} is not the run's: {event['reason']!r}")
    chunks = [e for e in _file_events(run, file_id, "chunk.failed") if e.get("execution") == result.execution]
    for event in chunks:
        named = f"chunk {event['chunk']} of partition {event['partition']} "
        error = str(event["reason"]).partition("failed after its retries: ")[2]
        if not error.strip():
            problems.append(f"{name}: chunk.failed names no error: {event['reason']!r}")
        if named not in str(event["reason"]):
            problems.append(f"{name}: chunk.failed does not name its chunk: {event['reason']!r}")
        if event is chunks[0] and named not in reason:
            problems.append(f"{name}: the failed run's reason does not name {named.strip()}: {reason!r}")
    return problems


def check_claims(run: ChaosRun) -> list[str]:
    """The execution the follower reported is the one that holds the claim and completed the file."""
    problems = []
    for tries in run.files:
        file_id, name, final = tries.file.file_id, tries.file.name, tries.final
        claims = [e for e in run.audit if e.get("pk") == f"FINGERPRINT#{file_id}" and e.get("sk") == "CLAIM"]
        completed = _file_events(run, file_id, "file.completed")
        if len(completed) != 1:
            problems.append(f"{name}: {len(completed)} file.completed events, expected 1")
            continue
        if len(claims) != 1:
            problems.append(f"{name}: {len(claims)} claims")
            continue
        holder, finisher = claims[0].get("execution"), completed[0].get("execution")
        if not (final.execution == holder == finisher):
            problems.append(
                f"{name}: the follower reported execution {final.execution}, the claim is held by {holder}, "
                f"the file was completed by {finisher}"
            )
        if claims[0].get("at") != completed[0].get("at"):
            problems.append(f"{name}: the claim covers run {claims[0].get('at')}, run {completed[0]['at']} completed")
    return problems


# ----------------------------------------------------------------------------------------- orders


def check_orders(run: ChaosRun) -> list[str]:
    problems = []
    expected = run.scenario.orders
    stored = {str(o["OrderId"]): o for o in run.orders}
    if len(stored) != len(run.orders):
        problems.append("the orders table holds an OrderId twice")
    missing, unexpected = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
    if missing:
        problems.append(f"orders missing: {missing}")
    if unexpected:
        problems.append(f"orders stored that should not be: {unexpected}")
    run_at = {f.file.key: _run_at(run, f.file.file_id) for f in run.files}
    for order_id in sorted(set(expected) & set(stored)):
        want, got = expected[order_id], stored[order_id]
        content = {k: v for k, v in got.items() if k not in METADATA}
        if canonical(content) != canonical(want.content):
            problems.append(f"order {order_id}: stored {canonical(content)}, expected {canonical(want.content)}")
        if got.get("_source") != want.source:
            problems.append(f"order {order_id}: _source {got.get('_source')}, expected {want.source} (first wins)")
        if got.get("_file") != want.file:
            problems.append(f"order {order_id}: _file {got.get('_file')}, expected {want.file}")
        if got.get("_at") != run_at.get(want.file):
            problems.append(f"order {order_id}: _at {got.get('_at')}, not the run that completed {want.file}")
    return problems


# ----------------------------------------------------------------------------------------- audit


def check_audit(run: ChaosRun) -> list[str]:
    problems = []
    ours = {f.file.file_id for f in run.files}
    strays = {e.get("file_id") for e in run.audit if e.get("event") in TERMINAL} - ours
    if strays:
        problems.append(f"record events of files never uploaded: {sorted(map(str, strays))}")
    for expectation in run.scenario.expectations:
        problems += _check_file_audit(run, expectation)
    return problems


def _check_file_audit(run: ChaosRun, expectation: FileExpectation) -> list[str]:
    file_id, name = expectation.file.file_id, expectation.file.name
    at = _run_at(run, file_id)
    if at is None:
        return [f"{name}: no single completed run to check the audit log against"]
    problems = []
    events = [e for e in run.audit if e.get("file_id") == file_id and e.get("event") in TERMINAL]
    elsewhere = sorted({str(e.get("at")) for e in events} - {at})
    if elsewhere:
        problems.append(f"{name}: terminal record events of other runs {elsewhere} beside the one that completed")
    events = [e for e in events if e.get("at") == at]
    by_index: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_index[int(event["index"])].append(event)
    repeated = {i: sorted(e["event"] for e in found) for i, found in by_index.items() if len(found) > 1}
    if repeated:
        problems.append(f"{name}: records with more than one terminal event: {dict(sorted(repeated.items()))}")
    indexes = set(range(len(expectation.outcomes)))
    if set(by_index) != indexes:
        problems.append(
            f"{name}: terminal events for indexes {sorted(set(by_index) - indexes)} beyond the file, none for "
            f"{sorted(indexes - set(by_index))}"
        )
    for index in sorted(indexes & set(by_index)):
        problems += _check_record_event(run, expectation, index, by_index[index][0])

    counts = Counter(str(e.get("outcome")) for e in events)
    from_events = {
        "records": len(events),
        "stored": counts["stored"],
        "duplicates": counts["duplicate"],
        "quarantined": counts["quarantined"],
    }
    [completed] = _file_events(run, file_id, "file.completed")
    summary = {key: completed.get(key) for key in from_events}
    if summary != from_events:
        problems.append(f"{name}: file.completed says {summary}, its record events {from_events}")
    if summary != expectation.counts:
        problems.append(f"{name}: file.completed says {summary}, expected {expectation.counts}")
    if dict(completed.get("failures_by_rule") or {}) != expectation.failures_by_rule:
        problems.append(
            f"{name}: failures_by_rule {completed.get('failures_by_rule')}, expected {expectation.failures_by_rule}"
        )
    accepted = [e for e in _file_events(run, file_id, "file.accepted") if e.get("at") == at]
    markers = [e for e in _file_events(run, file_id, "chunk.processed") if e.get("at") == at]
    if len(accepted) != 1 or len(markers) != accepted[0].get("chunks"):
        chunks = accepted[0].get("chunks") if accepted else None
        problems.append(f"{name}: {len(markers)} chunk markers for a run of {chunks} chunks")
    marked = sorted(int(entry[0]) for marker in markers for entry in marker.get("outcomes", []))
    if marked != sorted(indexes):
        problems.append(f"{name}: the chunk markers account for {len(marked)} records, not each of {len(indexes)}")
    return problems


def _check_record_event(run: ChaosRun, expectation: FileExpectation, index: int, event: dict[str, Any]) -> list[str]:
    name, file_id = expectation.file.name, expectation.file.file_id
    want = expectation.outcomes[index]
    got = (event.get("outcome"), event.get("order_id"), _pairs(event.get("reasons")))
    if got != (want.outcome, want.order_id, want.reasons):
        return [
            f"{name} #{index}: {got[0]} {got[1]} {sorted(got[2])}, expected {want.outcome} {want.order_id} "
            f"{sorted(want.reasons)}"
        ]
    if TERMINAL[str(event["event"])] != want.outcome:
        return [f"{name} #{index}: event {event['event']} with outcome {want.outcome}"]
    problems = []
    if want.outcome == "quarantined":
        if event.get("quarantine_id") != f"{file_id}:{index}":
            problems.append(f"{name} #{index}: quarantined event names quarantine id {event.get('quarantine_id')}")
        if "record_json" in event and canonical(json.loads(event["record_json"])) != canonical(
            expectation.file.records[index]
        ):
            problems.append(f"{name} #{index}: the quarantined event holds another record")
    elif want.outcome == "duplicate":
        order = run.scenario.orders[str(want.order_id)]
        if event.get("duplicate_of") != order.source:
            problems.append(f"{name} #{index}: duplicate of {event.get('duplicate_of')}, expected {order.source}")
    else:
        item = event.get("item") or {}
        order = run.scenario.orders[str(want.order_id)]
        if item and canonical({k: v for k, v in item.items() if k not in METADATA}) != canonical(order.content):
            problems.append(f"{name} #{index}: the stored event's item is not the stored order")
        if item and item.get("_source") != f"{file_id}#{index}":
            problems.append(f"{name} #{index}: the stored event's item comes from {item.get('_source')}")
    return problems


# ---------------------------------------------------------------------------------------- the quarantine queue


def check_quarantine_queue(run: ChaosRun) -> list[str]:
    problems = []
    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in run.queued:
        body = message["body"]
        if body.get("kind") != "record":
            problems.append(f"a quarantine message of kind {body.get('kind')}: {body.get('id')}")
            continue
        copies[str(body.get("id"))].append(message)
    for quarantine_id, found in sorted(copies.items()):
        problems += _check_copies(quarantine_id, found)

    expected: dict[str, tuple[FileExpectation, int]] = {}
    for expectation in run.scenario.expectations:
        for index in expectation.quarantined:
            expected[f"{expectation.file.file_id}:{index}"] = (expectation, index)
    missing, unexpected = sorted(set(expected) - set(copies)), sorted(set(copies) - set(expected))
    if missing:
        problems.append(f"quarantine queue: no message for {len(missing)} quarantined records: {missing[:5]}")
    if unexpected:
        problems.append(f"quarantine queue: messages for {len(unexpected)} records not quarantined: {unexpected[:5]}")
    for quarantine_id in sorted(set(expected) & set(copies)):
        expectation, index = expected[quarantine_id]
        body = max(copies[quarantine_id], key=lambda m: (int(m["body"].get("attempt", 1)), m["sent_at_ms"]))["body"]
        want = expectation.outcomes[index]
        label = f"quarantine queue {expectation.file.name} #{index}"
        if _pairs(body.get("reasons")) != want.reasons:
            problems.append(f"{label}: rules {sorted(_pairs(body.get('reasons')))}, expected {sorted(want.reasons)}")
        if (body.get("file"), body.get("file_id"), body.get("index")) != (
            expectation.file.key,
            expectation.file.file_id,
            index,
        ):
            problems.append(f"{label}: names {body.get('file')} {body.get('file_id')} #{body.get('index')}")
        if body.get("order_id") != want.order_id:
            problems.append(f"{label}: order id {body.get('order_id')}, expected {want.order_id}")
        if "record" in body and canonical(body["record"]) != canonical(expectation.file.records[index]):
            problems.append(f"{label}: holds {canonical(body['record'])[:120]}, not the record as it came")
    return problems


def _check_copies(quarantine_id: str, found: list[dict[str, Any]]) -> list[str]:
    """Copies of one id (a resent batch, a redone chunk): identical within an attempt, and sent in the order of
    their attempts."""
    in_order = sorted(found, key=lambda m: m["sent_at_ms"])
    attempts = [int(m["body"].get("attempt", 1)) for m in in_order]
    problems = []
    if attempts != sorted(attempts):
        problems.append(f"quarantine queue {quarantine_id}: copies sent out of attempt order: {attempts}")
    by_attempt: dict[int, set[str]] = defaultdict(set)
    for message in found:
        by_attempt[int(message["body"].get("attempt", 1))].add(canonical(message["body"]))
    for attempt, bodies in sorted(by_attempt.items()):
        if len(bodies) > 1:
            problems.append(
                f"quarantine queue {quarantine_id}: {len(bodies)} different copies of attempt {attempt}: "
                f"{sorted(bodies)[:2]}"
            )
    return problems
