"""Audit events: the append-only log every outcome is written to, and the keys that serve its readers.

Keys (table `pk`/`sk`, all strings):
- one record's outcome:       pk `ORDER#<OrderId>`  sk `<at>#<file_id>#<index>`          -> history of an order
  (a record with no order id: pk `FILE#<file_id>`  sk `RECORD#<index>#<at>`; a redrive adds `#redriven`)
- one chunk's outcomes:       pk `FILE#<file_id>`   sk `CHUNK#<at>#<partition>#<chunk>`   -> outcomes of a run
- a file's events:            pk `FILE#<file_id>`   sk `EVENT#<at>#<kind>`; with `day`/`at` -> GSI by-day (reports)
- what redrives did:         pk `REDRIVEN#<file_id>` sk `<batch at>#<batch file_id>`      -> a file's score now
  (one item per original file a redrive batch's run touched, written by its Finalize; no `day`; a partition
  of its own, so reading a file's accounts never touches its chunk markers or record events)
- a fingerprint claim:        pk `FINGERPRINT#<sha256>` sk `CLAIM`                       -> duplicate uploads
- an upload's delivery:       pk `FINGERPRINT#<sha256>` sk `UPLOAD#<key>#<S3 sequencer>` -> redeliveries
- a contract published:       pk `CONTRACT`            sk `PUBLISHED#<at>`               -> `contract history`
`at` is the run's id (services/domain/run.py: the start time of the execution that claimed the file, or of the
failed one a re-upload takes over, as text), so a retried step, or a retried run, rewrites the same keys instead
of adding events. Every event of a run is built from its `Run`, and stores its fields under the same names.
Only file-level events carry `day`: the by-day index stays sparse and per-record writes cost one unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from services.domain import contract
from services.domain.outcomes import Outcome
from services.domain.quarantine_message import Origin
from services.domain.run import Run

MAX_EXAMPLES = 3  # quarantine ids of each rule in a chunk marker or a file's summary: enough to go to the records
MAX_FIELDS = 32  # fields named in a chunk marker or a file's summary; the rest are counted together
OTHER_FIELDS = "(other fields)"
FIRST_REDRIVE = 2  # a record's attempt when it is redriven for the first time (it was quarantined at 1)


class EventKind(StrEnum):
    RECORD_STORED = "record.stored"
    RECORD_DUPLICATE = "record.duplicate"
    RECORD_QUARANTINED = "record.quarantined"
    RECORD_REDRIVEN = "record.redriven"  # not an outcome: the step between quarantined and the next outcome
    REDRIVE_REQUESTED = "redrive.requested"  # a redrive request's first call (not a history event)
    CHUNK_PROCESSED = "chunk.processed"  # a chunk's outcomes; written last, so it marks the chunk done
    CHUNK_FAILED = "chunk.failed"  # a chunk failed past its retries: no outcome of its records counts yet
    FILE_CLAIMED = "file.claimed"  # the fingerprint's claim (not a history event: it changes hands)
    UPLOAD_CLAIMED = "upload.claimed"  # the execution that answers for one S3 write (not a history event)
    FILE_ACCEPTED = "file.accepted"
    FILE_REJECTED = "file.rejected"
    FILE_DUPLICATE = "file.duplicate"
    FILE_RETRIED = "file.retried"  # a re-upload took over the claim of a run whose execution failed
    FILE_REPLAYED = "file.replayed"  # a new run of a file's retained bytes took the claim over (`replay file`)
    FILE_COMPLETED = "file.completed"
    FILE_FAILED = "file.failed"  # the run stopped; uploading the file again continues it
    FILE_RESOLVED = (
        "file.resolved"  # an operator closed a rejected file's quarantine item (`salesdq quarantine resolve`)
    )
    FILE_REDRIVEN = "file.redriven"  # a redrive batch's run ended: what it did for one original file's records
    ORDER_REPAIRED = "order.repaired"  # `salesdq audit repair` restored the order its stored event holds
    CONTRACT_PUBLISHED = "contract.published"  # `salesdq contract publish` made a contract the active one


TERMINAL = {
    EventKind.RECORD_STORED: Outcome.STORED,
    EventKind.RECORD_DUPLICATE: Outcome.DUPLICATE,
    EventKind.RECORD_QUARANTINED: Outcome.QUARANTINED,
}
REDRIVEN = "redriven"  # the `outcome` field of a record.redriven event


def record_kind(outcome: str) -> EventKind:
    return EventKind(f"record.{outcome}")


def order_pk(order_id: str) -> str:
    """The partition of an order's history: every record event of that order id, from every file."""
    return f"ORDER#{order_id}"


def file_pk(file_id: str) -> str:
    return f"FILE#{file_id}"


def record_event(
    *,
    run: Run,
    index: int,
    outcome: str,
    order_id: str | None,
    reasons: list[dict[str, str]],
    attempt: int = 1,
    detail: dict[str, Any] | None = None,
    content: Mapping[str, Any] | None = None,
    warnings: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """`content`: what rebuilds the record's projection (its stored item, its quarantine id and record, ...);
    `warnings`: the failures of the contract's rules of severity warning (field, rule, message), apart from
    `reasons`: the record passed the contract with them."""
    kind = record_kind(outcome)
    # One terminal event per record and run: its key holds no outcome, so a step redone after a failure
    # rewrites the record's event whatever it decides this time, instead of adding a second one.
    pk, sk = record_key(run, index, order_id, redriven=kind == EventKind.RECORD_REDRIVEN)
    event: dict[str, Any] = {
        "pk": pk,
        "sk": sk,
        "event": kind,
        "outcome": outcome,
        **run.stored(),
        "index": index,
        "order_id": order_id,
        "reasons": reasons,
        "attempt": attempt,
        "contract": contract.version_of(run.contract),  # the rules that judged it: version+digest
    }
    if detail:
        event["detail"] = detail
    if warnings:
        event["warnings"] = warnings
    if content:
        event |= content
    return event


def record_key(run: Run, index: int, order_id: str | None, *, redriven: bool = False) -> tuple[str, str]:
    """The key of a record's terminal event in a run (or of its record.redriven event): under its order's history,
    or its file's when it has no order id."""
    step = "#redriven" if redriven else ""
    if order_id:
        return order_pk(order_id), f"{run.id}#{run.file_id}#{index:09d}{step}"
    return file_pk(run.file_id), f"RECORD#{index:09d}#{run.id}{step}"


def chunk_key(file_id: str, run_id: str, partition: int, chunk: int) -> tuple[str, str]:
    """A chunk of one run: a retried run keeps its id (and finds its markers); a replay is a run of its own."""
    return file_pk(file_id), f"CHUNK#{run_id}#{partition:05d}#{chunk:07d}"


def chunk_event(
    *,
    run: Run,
    partition: int,
    chunk: int,
    outcomes: list[list[Any]],
    fields: Mapping[int, Iterable[str]] | None = None,
    quarantine_ids: Mapping[int, str] | None = None,
    origins: Mapping[int, Origin] | None = None,
    warnings: Mapping[int, Iterable[str]] | None = None,
    repeats: int = 0,
) -> dict[str, Any]:
    """Compact outcomes of one chunk: [[index, outcome, rules...], ...]; written last, so it marks completion.

    Beside them, what reports read instead of the records' events (all bounded, whatever the chunk holds):
    `counts` by outcome; `failures` (records failing each rule); `fields` (records failing each field: at
    most MAX_FIELDS named, the rest under OTHER_FIELDS); `examples` (the first MAX_EXAMPLES quarantine ids of each
    rule); and for a redrive batch, `origins`: for each original file (by file id), how many of its records
    the chunk redrove for the first time (`redriven`) and how many now ended stored or duplicate (`resolved`);
    `warnings` (records each rule of severity warning warned of) and `repeats` (records whose order id an
    earlier complete record of the file has: what a file-level duplicateValues rule counts), when there are any.
    `fields`, `quarantine_ids`, `origins` and `warnings` are by record index (fields and quarantine ids of
    quarantined records)."""
    fields, quarantine_ids = fields or {}, quarantine_ids or {}
    counts = dict.fromkeys(Outcome, 0)
    failures: dict[str, int] = {}
    by_field: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for entry in outcomes:
        index = entry[0]
        counts[entry[1]] += 1
        for rule in entry[2:]:
            failures[rule] = failures.get(rule, 0) + 1
            shown = examples.setdefault(rule, [])
            if index in quarantine_ids and len(shown) < MAX_EXAMPLES:
                shown.append(quarantine_ids[index])
        for name in sorted(set(fields.get(index, ()))):
            by_field[name] = by_field.get(name, 0) + 1
    pk, sk = chunk_key(run.file_id, run.id, partition, chunk)
    marker: dict[str, Any] = {
        "pk": pk,
        "sk": sk,
        "event": EventKind.CHUNK_PROCESSED,
        "file_id": run.file_id,
        "outcomes": outcomes,
        "counts": {str(outcome): count for outcome, count in counts.items()},
        "failures": failures,
        "fields": capped_fields(by_field),
        "examples": {rule: ids for rule, ids in examples.items() if ids},
        "at": run.id,
        "execution": run.execution,
    }
    if origins:
        marker["origins"] = _origins(outcomes, origins)
    warned: dict[str, int] = {}
    for rules in (warnings or {}).values():
        for rule in rules:
            warned[rule] = warned.get(rule, 0) + 1
    if warned:
        marker["warnings"] = warned
    if repeats:
        marker["repeats"] = repeats
    return marker


def capped_fields(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts by field with at most MAX_FIELDS fields named (the most failed, then by name); the others'
    counts are summed under OTHER_FIELDS. A field is a path in a record, so a file can name any number."""
    named = sorted((name for name in counts if name != OTHER_FIELDS), key=lambda n: (-counts[n], n))
    kept = {name: counts[name] for name in named[:MAX_FIELDS]}
    rest = sum(counts[name] for name in named[MAX_FIELDS:]) + counts.get(OTHER_FIELDS, 0)
    return kept | ({OTHER_FIELDS: rest} if rest else {})


def original_file_id(quarantine_id: str) -> str:
    """The file a quarantine id's record arrived in: a record's id is `<file sha256>:<index>`
    (quarantine_message.record_id)."""
    return quarantine_id.rsplit(":", 1)[0]


def _origins(outcomes: list[list[Any]], origins: Mapping[int, Origin]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for entry in outcomes:
        origin = origins.get(entry[0])
        if origin is None:
            continue
        tally = found.setdefault(original_file_id(origin.quarantine_id), {"redriven": 0, "resolved": 0})
        tally["redriven"] += origin.attempt == FIRST_REDRIVE
        tally["resolved"] += entry[1] != Outcome.QUARANTINED
    return found


def chunk_failure_key(file_id: str, run_id: str, partition: int, chunk: int) -> tuple[str, str]:
    return file_pk(file_id), f"FAILED#{run_id}#{partition:05d}#{chunk:07d}"


def chunk_failure_prefix(file_id: str, run_id: str) -> tuple[str, str]:
    return file_pk(file_id), f"FAILED#{run_id}#"


def chunk_failure(*, run: Run, partition: int, chunk: int, key: str, reason: str) -> dict[str, Any]:
    pk, sk = chunk_failure_key(run.file_id, run.id, partition, chunk)
    return {
        "pk": pk,
        "sk": sk,
        "event": EventKind.CHUNK_FAILED,
        "file_id": run.file_id,
        "partition": partition,
        "chunk": chunk,
        "key": key,
        "reason": reason,
        "at": run.id,
        "execution": run.execution,
    }


def file_event_key(file_id: str, run_id: str, kind: EventKind) -> tuple[str, str]:
    return file_pk(file_id), f"EVENT#{run_id}#{kind}"


def file_event(*, run: Run, kind: EventKind, **detail: Any) -> dict[str, Any]:
    """One of a run's file events; an event written later, for a run that is not its writer's (a re-upload's
    file.retried, an operator's file.resolved), is keyed by its writer's run and names the other in `run_at`."""
    pk, sk = file_event_key(run.file_id, run.id, kind)
    return {"pk": pk, "sk": sk, "event": kind, **run.stored(), "day": run.day, **detail}


def redriven_pk(file_id: str) -> str:
    """Every redrive batch run's account of the file's records: one small partition, read by a keyed Query."""
    return f"REDRIVEN#{file_id}"


def redriven_key(file_id: str, batch_run_id: str, batch_file_id: str) -> tuple[str, str]:
    return redriven_pk(file_id), f"{batch_run_id}#{batch_file_id}"


def file_redriven(*, file_id: str, batch: Run, redriven: int, resolved: int) -> dict[str, Any]:
    """A redrive batch's run `batch` ended: of the records of file `file_id`, `redriven` were redriven for the
    first time in it and `resolved` now ended stored or duplicate. Per file and batch, so a report computes a
    file's score now from keyed reads; a retried Finalize rewrites the same key."""
    pk, sk = redriven_key(file_id, batch.id, batch.file_id)
    return {
        "pk": pk,
        "sk": sk,
        "event": EventKind.FILE_REDRIVEN,
        "file_id": file_id,
        "batch": batch.file,
        "batch_file_id": batch.file_id,
        "at": batch.id,
        "redriven": redriven,
        "resolved": resolved,
    }


def order_repaired(*, order_id: str, at: str, source: str, before: Mapping[str, Any]) -> dict[str, Any]:
    """A repair restored the order the log holds (its `source`, `<file sha256>#<index>`), in the order's
    history; `before`: what the table held instead (`{"before_json": ...}`, a reference, or `{}` for nothing)."""
    return {
        "pk": order_pk(order_id),
        "sk": f"{at}#{EventKind.ORDER_REPAIRED}",
        "event": EventKind.ORDER_REPAIRED,
        "order_id": order_id,
        "source": source,
        "at": at,
        **before,
    }


def claim_key(fingerprint: str) -> tuple[str, str]:
    return f"FINGERPRINT#{fingerprint}", "CLAIM"


def claim(*, run: Run, **detail: Any) -> dict[str, Any]:
    """The claim of the run's file (by its fingerprint, its id): the run's `execution` holds it; `at` names the
    run whose writes it covers (a retry that takes the claim over keeps it), `replay_of` the run a replay
    replays; detail: the run's chunk layout, and what a takeover retried. A claim reads back as its run
    (Run.from_payload)."""
    pk, sk = claim_key(run.file_id)
    replay = {"replay_of": run.replay_of.to_payload()} if run.replay_of else {}
    judged_by = {"contract": run.contract.model_dump()} if run.contract else {}  # a retry keeps the run's contract
    return {"pk": pk, "sk": sk, "event": EventKind.FILE_CLAIMED, **run.stored(), **replay, **judged_by, **detail}


def upload_claim(*, file_id: str, key: str, sequencer: str, execution: str) -> dict[str, Any]:
    """One S3 write of the file's bytes (its key and sequencer, the same on every delivery of its event): the
    first execution its event started answers for it; another delivery of the event is not another upload."""
    pk, _ = claim_key(file_id)
    return {"pk": pk, "sk": f"UPLOAD#{key}#{sequencer}", "event": EventKind.UPLOAD_CLAIMED, "execution": execution}


CONTRACTS_PK = "CONTRACT"  # every contract.published event: `contract history` reads this one partition


def contract_published(
    *, version: str, digest: str, key: str, at: str, by: str, previous: dict[str, Any], changes: list[dict[str, str]]
) -> dict[str, Any]:
    """A contract made the active one (`salesdq contract publish`): which (version, digest, where its document
    is kept), when, by whom, the contract it replaced and the diff against it. Not a run's event: no `day`, no
    file or order key, so folds and reports never meet it."""
    return {
        "pk": CONTRACTS_PK,
        "sk": f"PUBLISHED#{at}",
        "event": EventKind.CONTRACT_PUBLISHED,
        "version": version,
        "digest": digest,
        "key": key,
        "published_at": at,
        "by": by,
        "previous": previous,
        "changes": changes,
    }


def redrive_request(*, request_id: str, at: str) -> dict[str, Any]:
    """A redrive request's first call: its `at` keys the request's events, so a retried call rewrites them."""
    return {"pk": f"REDRIVE#{request_id}", "sk": "REQUEST", "event": EventKind.REDRIVE_REQUESTED, "at": at}


def chunk_prefix(file_id: str, run_id: str) -> tuple[str, str]:
    """Every chunk marker of one run of a file."""
    return file_pk(file_id), f"CHUNK#{run_id}#"


# what a file's summary needs of each chunk event
CHUNK_SUMMARY = ("counts", "failures", "fields", "examples", "origins", "warnings", "repeats", "at")
