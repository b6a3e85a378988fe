"""A replay's what-if: every record of a file's retained bytes validated under a contract (the active one, or a
proposal), each outcome decided by the validator's own decision (store_orders.plan_chunk, verdicts) against what
the orders table holds, and compared with the outcome the file's last run recorded. A record a redrive has taken
on keeps the redrive's outcome, as the replay carries it (the quarantine view's items of the records the run
quarantined or carried: one keyed batch read a chunk). Nothing is written anywhere.

Records are read with the streaming reader and decided a chunk at a time in file order, so memory holds one
chunk, the last run's outcome codes (one byte a record), the orders the what-if would store that the table
does not hold (a later record of the same order id must meet them, as it would in a real run) and the
changes it reports: never the file's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from salesdq.errors import SalesdqError
from services.contract import CompiledContract
from services.dal.audit_log import AuditLog
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_view import QuarantineView
from services.domain import audit_events, chunk_entry
from services.domain.outcomes import Outcome, RecordOutcome
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.ingest.read_file import SalesFile
from services.validator.quarantine import carried, items_of, taken_by_redrive
from services.validator.store_orders import ORIGIN, plan_chunk, verdicts

CHUNK_RECORDS = 1_000
NONE = "none"  # no outcome recorded for the index (a run that did not end)
_CODES = (NONE, Outcome.STORED, Outcome.DUPLICATE, Outcome.QUARANTINED)
_CODE = {name: code for code, name in enumerate(_CODES)}


class OutcomesMissingError(SalesdqError):
    """The run replayed has no recorded outcomes (it never processed a chunk)."""


@dataclass
class Change:
    index: int
    order_id: str | None
    was: str
    now: str
    reasons: list[dict[str, str]]  # why it is quarantined now (empty when it is not)
    was_rules: list[str] = field(default_factory=list)  # the rules it failed then

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class WhatIf:
    records: int
    then: dict[str, int]
    now: dict[str, int]
    changed: list[Change]


def recorded_outcomes(audit: AuditLog, run: Run, rules: dict[int, list[str]] | None = None) -> bytearray:
    """The outcome code of each record index of the run (its chunk markers' compact outcomes); with `rules`, the
    rules each record it quarantined failed, by index, filled in the same read (a byte a record is all `then`
    costs without it)."""
    codes = bytearray()
    quarantined = _CODE[Outcome.QUARANTINED]
    for marker in _markers(audit, run):
        for entry in marker["outcomes"]:
            index = int(entry[0])
            if index >= len(codes):
                codes.extend(bytes(index + 1 - len(codes)))
            codes[index] = _CODE[str(entry[1])]
            if rules is not None and codes[index] == quarantined:
                rules[index] = [str(rule) for rule in entry[2:]]
    if not codes:
        raise OutcomesMissingError(f"the run of {run.file_id} at {run.id} recorded no outcomes")
    return codes


def _markers(audit: AuditLog, run: Run) -> Iterator[dict[str, Any]]:
    return audit.query(*audit_events.chunk_prefix(run.file_id, run.id), attributes=("outcomes",))


def _rules_then(audit: AuditLog, run: Run, indexes: set[int]) -> dict[int, list[str]]:
    """The rules each of `indexes` failed in the run: a second read of the markers, only for the changes."""
    found: dict[int, list[str]] = {}
    for marker in _markers(audit, run):
        for entry in marker["outcomes"]:
            if int(entry[0]) in indexes:
                found[int(entry[0])] = [str(rule) for rule in entry[2:]]
    return found


class StoredView(Protocol):
    """What a what-if knows of the orders stored before a chunk, and learns of the orders it would store."""

    def stored(self, order_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The ORIGIN attributes of those of `order_ids` that are stored, by order id."""
        ...

    def store(self, order_id: str, item: Mapping[str, Any]) -> None:
        """The what-if would store `item` under `order_id` (no order of that id is stored)."""
        ...


class TableView:
    """The orders table as it is, and the orders the what-if would add to it (a later record of the same order
    id must meet them, as it would in a real run)."""

    def __init__(self, orders: OrdersTable) -> None:
        self.orders = orders
        self.would_store: dict[str, dict[str, Any]] = {}

    def stored(self, order_ids: list[str]) -> dict[str, dict[str, Any]]:
        unknown = [order_id for order_id in order_ids if order_id not in self.would_store]
        found: dict[str, dict[str, Any]] = self.orders.existing(unknown, ORIGIN) if unknown else {}
        return found | {oid: self.would_store[oid] for oid in order_ids if oid in self.would_store}

    def store(self, order_id: str, item: Mapping[str, Any]) -> None:
        self.would_store[order_id] = _origin(item)


def what_if(
    sales: SalesFile,
    job: ChunkJob,
    then: bytearray,
    orders: OrdersTable,
    audit: AuditLog,
    view: QuarantineView,
    judge: CompiledContract,
    chunk_records: int = CHUNK_RECORDS,
) -> WhatIf:
    """`job`: the replayed run as a chunk job (its file id, file and `at`); `then`: its recorded_outcomes;
    `judge`: the contract the records are judged by now (the active one, or a proposal)."""
    return judged(
        sales,
        job,
        then,
        TableView(orders),
        audit,
        judge,
        lambda chunk: _taken(chunk, then, job.run.file_id, view),
        chunk_records,
    )


def judged(
    sales: SalesFile,
    job: ChunkJob,
    then: bytearray,
    stored: StoredView,
    audit: AuditLog,
    judge: CompiledContract,
    taken: Callable[[list[list[Any]]], dict[int, dict[str, Any]]] | None = None,
    chunk_records: int = CHUNK_RECORDS,
    rules_then: Mapping[int, list[str]] | None = None,
) -> WhatIf:
    """Every record of `sales` decided under `judge` against `stored`, in file order, and compared with `then`;
    `taken`: of a chunk, the records whose outcome is carried rather than judged (a redrive's), by index;
    `rules_then`: the rules of the records `then` quarantined, when recorded_outcomes read them already (else
    read again)."""
    counts_then = {str(o): 0 for o in Outcome}
    counts_now = {str(o): 0 for o in Outcome}
    for code in then:
        if code:
            counts_then[_CODES[code]] += 1
    changed: list[Change] = []
    records = 0
    for chunk in staged_chunks(sales, chunk_records):
        records += len(chunk)
        carried_now = taken(chunk) if taken is not None else {}
        judging = [entry for entry in chunk if entry[0] not in carried_now]
        outcomes, own = _decide(judging, job, stored, judge) if judging else ([], set())
        outcomes += [carried(index, item) for index, item in carried_now.items()]
        for outcome in outcomes:
            now = str(outcome.outcome)
            counts_now[now] += 1
            was = _CODES[then[outcome.index]] if outcome.index < len(then) else NONE
            # A replay run records its record's own order, stored by an earlier run, as a duplicate: unchanged.
            if was != now and not (was == Outcome.DUPLICATE and outcome.index in own):
                reasons = [r.as_dict() for r in outcome.reasons]
                changed.append(Change(outcome.index, outcome.order_id, str(was), now, reasons))
    quarantined_then = {c.index for c in changed if c.was == Outcome.QUARANTINED}
    if quarantined_then:
        rules = rules_then if rules_then is not None else _rules_then(audit, job.run, quarantined_then)
        for change in changed:
            change.was_rules = rules.get(change.index, [])
    return WhatIf(records, counts_then, counts_now, changed)


def _taken(chunk: list[list[Any]], then: bytearray, file_id: str, view: QuarantineView) -> dict[int, dict[str, Any]]:
    """The chunk's records a redrive has taken on: only one the run quarantined, or carried as a duplicate, can be."""
    maybe = (_CODE[Outcome.QUARANTINED], _CODE[Outcome.DUPLICATE])
    indexes = [int(entry[0]) for entry in chunk if int(entry[0]) < len(then) and then[int(entry[0])] in maybe]
    return {index: item for index, item in items_of(file_id, indexes, view).items() if taken_by_redrive(item)}


def staged_chunks(sales: SalesFile, size: int) -> Iterator[list[list[Any]]]:
    """The file's records as chunk entries (chunk_entry.staged), `size` at a time, in file order."""
    chunk: list[list[Any]] = []
    for index, (record, duplicate_keys) in enumerate(sales.entries()):
        chunk.append(chunk_entry.staged(index, record, duplicate_keys))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _decide(
    chunk: list[list[Any]], job: ChunkJob, view: StoredView, judge: CompiledContract
) -> tuple[list[RecordOutcome], set[int]]:
    """The validator's decision for one chunk under `judge`, against the orders `view` holds, writing nothing;
    and the writers whose order is stored with their own `_source` (by an earlier run)."""
    plan = plan_chunk(chunk, job, judge)
    stored = view.stored(list(plan.writers))
    outcomes = verdicts(plan, stored, any_run=True)
    own = set()
    for order_id, writer in plan.writers.items():
        if order_id not in stored:
            view.store(order_id, writer.item)
        elif stored[order_id].get("_source") == writer.item["_source"]:
            own.add(writer.index)
    return outcomes, own


def _origin(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ORIGIN}
