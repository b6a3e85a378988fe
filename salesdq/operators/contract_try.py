"""`salesdq contract try`: what a proposed contract would have decided of the files already received, record by
record, had it been active from the window's start; nothing is written (docs/contracts.md).

Every retained file whose first run started in the window (days UTC, inclusive) is judged again, in arrival
order, by the validator's own decision (salesdq/operators/what_if.py) against one shared view of the orders
stored so far: those the proposal stores as it goes (order id -> content hash, and the file that stored it), and
those the orders table holds from a run this what-if does not judge (a file before the window, one whose bytes
are gone) that started before the file judged now. So first-wins, duplicates and conflicts across files come
out as they would have. A redrive batch is judged as the file it is, at the time it ran: its corrections are
part of the history. Each file is compared with what its first run decided (its arrival).

Memory holds the shared view, one file's last-run outcome codes (a byte a record) and that file's changes;
never the records. Files are yielded one at a time, so their changes reach the output as they are found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from salesdq.errors import NotFoundError
from salesdq.locate import StackRef
from salesdq.operators import runs as file_runs
from salesdq.operators.run_summaries import DUPLICATE, REJECTED, RunSummary
from salesdq.operators.what_if import Change, OutcomesMissingError, judged, recorded_outcomes
from salesdq.reports.compute import score
from services.contract import CompiledContract
from services.dal.audit_log import AuditLog
from services.dal.orders_table import OrdersTable
from services.domain import audit_events, quarantine_message, redrive_batch
from services.domain.outcomes import Outcome
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.ingest.prepare import raw_key, retained_file
from services.validator.store_orders import ORIGIN

EXAMPLES = 5  # per direction: enough to find the records, few enough to read
NOT_RETAINED, NO_OUTCOMES = "not_retained", "no_outcomes"


@dataclass(frozen=True)
class Window:
    """Which files to judge: whose first run started from `since` to `until` (days UTC, inclusive; None: no
    bound), and only the file `file` names when given (a key, name or file id, as `salesdq runs` shows)."""

    since: date | None = None
    until: date | None = None
    file: str | None = None

    def holds(self, run: Run) -> bool:
        day = run.started.date()
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def as_dict(self) -> dict[str, Any]:
        shown = {"since": self.since, "until": self.until}
        return {k: v.isoformat() if v is not None else None for k, v in shown.items()} | {"file": self.file}


def arrivals(runs: Sequence[RunSummary]) -> list[RunSummary]:
    """Each file's first run that read its records (not a rejected or duplicate upload), in arrival order:
    `runs` are oldest first (run_summaries.fold_runs), and a later run of a file is a replay of it."""
    first: dict[str, RunSummary] = {}
    for run in runs:
        if run.status not in (REJECTED, DUPLICATE) and run.run.file_id:
            first.setdefault(run.run.file_id, run)
    return list(first.values())


def in_window(runs: Sequence[RunSummary], window: Window) -> list[RunSummary]:
    """The files of the window, in arrival order; NotFoundError when `window.file` names no file read."""
    first = arrivals(runs)
    if window.file is not None:
        named = {run.run.file_id for run in file_runs.runs_named(first, window.file)}
        if not named:
            raise NotFoundError(
                f"no file named {window.file!r} was read: `salesdq runs` lists the runs with their file ids "
                "(8+ characters are enough) and names (a rejected or duplicate upload has nothing to judge)"
            )
        first = [run for run in first if run.run.file_id in named]
    return [run for run in first if window.holds(run.run)]


class WindowView:
    """The orders stored as the what-if goes (what_if.StoredView): order id -> the content hash (its bytes) and
    the number of the file that stored it, for those the proposal stores and those met in the table that count.
    An order the table holds counts once its run is none this what-if judges and started before `arrival` (the
    judged file's): stored before the window, by a file whose bytes are gone, by a replay of an earlier file.
    `orders` None: no order in the table can count (every run before the last file is judged), nothing is read."""

    def __init__(self, orders: OrdersTable | None, judged_files: set[str]) -> None:
        self.orders = orders
        self.judged_files = judged_files
        self.arrival: datetime | None = None
        self.hashes: dict[str, bytes] = {}
        self.files: list[str] = []  # the files that stored an order, by number
        self.numbers: dict[str, int] = {}
        self.reads = 0  # orders-table reads (batched, one a chunk at most)

    def stored(self, order_ids: list[str]) -> dict[str, dict[str, Any]]:
        found = {oid: self._origin(oid) for oid in order_ids if oid in self.hashes}
        unknown = [oid for oid in order_ids if oid not in found]
        if self.orders is not None and unknown:
            self.reads += 1
            for order_id, item in self.orders.existing(unknown, ORIGIN).items():
                if self._counts(item):
                    self.store(order_id, item)
                    found[order_id] = self._origin(order_id)
        return found

    def store(self, order_id: str, item: Mapping[str, Any]) -> None:
        file = str(item.get("_file", ""))
        number = self.numbers.setdefault(file, len(self.files))
        if number == len(self.files):
            self.files.append(file)
        self.hashes[order_id] = bytes.fromhex(str(item["_hash"])) + number.to_bytes(4, "big")

    def _origin(self, order_id: str) -> dict[str, Any]:
        value = self.hashes[order_id]
        # no `_source`: never the judged record's own order (each record is judged once, at its arrival)
        return {"_hash": value[:-4].hex(), "_file": self.files[int.from_bytes(value[-4:], "big")]}

    def _counts(self, item: Mapping[str, Any]) -> bool:
        file_id = str(item.get("_source", "")).split("#", 1)[0]  # `<file id>#<index>` (ChunkJob.source)
        if file_id in self.judged_files or self.arrival is None or "_at" not in item:
            return False
        return Run(file="", id=str(item["_at"]), execution="").started < self.arrival


@dataclass
class FileTry:
    """One file judged: its arrival, counts then and under the proposal, and every record that would change."""

    run: Run
    records: int
    then: dict[str, int]
    now: dict[str, int]
    changes: list[dict[str, Any]]

    @property
    def kind(self) -> str:
        return "redrive" if redrive_batch.is_redrive(self.run.file) else "upload"


@dataclass(frozen=True)
class NotJudged:
    run: Run
    why: str  # NOT_RETAINED or NO_OUTCOMES

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.run.file, "file_id": self.run.file_id, "arrived": self.run.id, "why": self.why}


class Trial:
    """One what-if over a window: iterate it for the files judged, one at a time; `view` is its shared view of the
    orders stored (set once the iteration starts)."""

    def __init__(self, stack: StackRef, proposal: CompiledContract, window: Window) -> None:
        self.stack, self.proposal, self.window = stack, proposal, window
        self.view: WindowView | None = None

    def __iter__(self) -> Iterator[FileTry | NotJudged]:
        stack, proposal = self.stack, self.proposal
        every = file_runs.file_runs(stack)
        files = in_window(every, self.window)
        inbox, audit = stack.inbox(), stack.audit()
        retained = [run for run in files if inbox.size(raw_key(run.run.file_id)) is not None]
        judged_files = {run.run.file_id for run in retained}
        last = retained[-1].run.started if retained else None
        # The table is read only when some run this what-if does not judge started before its last file.
        others = any(
            run.run.file_id not in judged_files and run.status not in (REJECTED, DUPLICATE) and run.run.started < last
            for run in every
            if last is not None
        )
        view = self.view = WindowView(stack.orders() if others else None, judged_files)
        for run in files:
            if run.run.file_id not in judged_files:
                yield NotJudged(run.run, NOT_RETAINED)
                continue
            rules_then: dict[int, list[str]] = {}
            try:
                then = recorded_outcomes(audit, run.run, rules_then)
            except OutcomesMissingError:
                yield NotJudged(run.run, NO_OUTCOMES)
                continue
            view.arrival = run.run.started
            job = ChunkJob(run=run.run, partition=0, chunk=0, key=raw_key(run.run.file_id))
            sales = retained_file(inbox, run.run)
            found = judged(sales, job, then, view, audit, proposal, rules_then=rules_then)
            fields = _fields_then(audit, run.run, [c for c in found.changed if c.was == Outcome.QUARANTINED])
            changes = [change_row(run.run, c.as_dict(), fields.get(c.index, [])) for c in found.changed]
            yield FileTry(run.run, found.records, found.then, found.now, changes)


def judge(stack: StackRef, proposal: CompiledContract, window: Window) -> Iterator[FileTry | NotJudged]:
    """The window's files judged under the proposal, one at a time, in arrival order; writes nothing."""
    return iter(Trial(stack, proposal, window))


def _fields_then(audit: AuditLog, run: Run, quarantined: list[Change]) -> dict[int, list[str]]:
    """The fields each record the run quarantined failed, by index: its record event's reasons (the chunk markers
    keep rules only), read in batches for the changed records alone."""
    keys = {audit_events.record_key(run, c.index, c.order_id): c.index for c in quarantined}
    events = audit.get_many(list(keys), attributes=("reasons",)) if keys else {}
    return {keys[key]: list(dict.fromkeys(str(r["field"]) for r in e.get("reasons", []))) for key, e in events.items()}


def change_row(run: Run, change: Mapping[str, Any], fields_then: Sequence[str] = ()) -> dict[str, Any]:
    """A record that would change, as --json lists it: where it is, its outcome then and now, and the rules that
    decide it (those it fails under the proposal, or, not quarantined now, those it failed then: `fields_then`
    are their fields) and their fields."""
    reasons = change["reasons"]
    if reasons:
        rules, fields = [r["rule"] for r in reasons], [r["field"] for r in reasons]
    else:
        rules, fields = list(change["was_rules"]), list(fields_then)
    return {
        "file": run.file,
        "file_id": run.file_id,
        "index": change["index"],
        "order_id": change["order_id"],
        "quarantine_id": quarantine_message.record_id(run.file_id, int(change["index"])),
        "was": change["was"],
        "now": change["now"],
        "rules": list(dict.fromkeys(rules)),
        "fields": list(dict.fromkeys(fields)),
    }


# ------------------------------------------------------------------ aggregation: per file and in total


@dataclass
class Tally:
    """Counts then and under the proposal, and the changes by direction (`stored -> quarantined`, ...), rule
    and field, with the first EXAMPLES of each direction: of one file, or added up over many."""

    files: int = 0
    records: int = 0
    then: dict[str, int] = field(default_factory=lambda: {str(o): 0 for o in Outcome})
    now: dict[str, int] = field(default_factory=lambda: {str(o): 0 for o in Outcome})
    changed: int = 0
    directions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, file: FileTry) -> None:
        self.files += 1
        self.records += file.records
        for mine, theirs in ((self.then, file.then), (self.now, file.now)):
            for outcome, count in theirs.items():
                mine[outcome] = mine.get(outcome, 0) + count
        for change in file.changes:
            self.change(change)

    def change(self, change: Mapping[str, Any]) -> None:
        self.changed += 1
        direction = f"{change['was']} -> {change['now']}"
        entry = self.directions.setdefault(direction, {"records": 0, "by_rule": {}, "by_field": {}, "examples": []})
        entry["records"] += 1
        for rule in change["rules"]:
            entry["by_rule"][rule] = entry["by_rule"].get(rule, 0) + 1
        for name in change["fields"]:
            entry["by_field"][name] = entry["by_field"].get(name, 0) + 1
        if len(entry["examples"]) < EXAMPLES:
            keys = ("file", "file_id", "index", "order_id", "quarantine_id")
            entry["examples"].append({key: change[key] for key in keys})

    def as_dict(self) -> dict[str, Any]:
        good_then = self.then.get(Outcome.STORED, 0) + self.then.get(Outcome.DUPLICATE, 0)
        good_now = self.now.get(Outcome.STORED, 0) + self.now.get(Outcome.DUPLICATE, 0)
        return {
            "records": self.records,
            "then": dict(self.then),
            "now": dict(self.now),
            "score_then": score(good_then, self.records),  # the report's quality score (reports/compute.py)
            "score_now": score(good_now, self.records),
            "changed": self.changed,
            "directions": self.directions,
        }


def file_entry(file: FileTry) -> dict[str, Any]:
    """One file as --json lists it: the single-file form's keys, its arrival, and every change."""
    tally = Tally()
    tally.add(file)
    head = {"file": file.run.file, "file_id": file.run.file_id, "kind": file.kind, "arrived": file.run.id}
    return head | tally.as_dict() | {"changes": file.changes}
