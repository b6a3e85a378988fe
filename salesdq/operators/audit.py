"""`salesdq audit verify | rebuild | repair`: the audit log read back as the source of truth.

Each folds the whole log (salesdq/operators/fold.py) from a paginated scan (1 MB pages), holding only the
projections, then compares them with the live stores (scanned the same way), writes them as files, or restores
from them what the orders table lost or had changed behind salesdq's back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from salesdq.locate import StackRef
from salesdq.operators import projections
from salesdq.operators.fold import Drift, Projections, compare, fold
from salesdq.operators.run_summaries import ACCEPTED, FAILED, RunSummary
from services.dal.quarantine_view import body_of
from services.domain import audit_events, json_codec
from services.domain.inline import inline_or_ref

REPAIRED_ITEMS = "audit/repaired"  # what a repair replaced, when too large to travel in its event


@dataclass
class Held:
    """What a run that has not ended in the log (failed, or still running) has written before its events: its
    orders and quarantine items are its own, not drift. Its retry (or its end) writes their events."""

    run: RunSummary
    orders: list[str] = field(default_factory=list)
    quarantine: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        run = self.run
        return run.run.stored() | {
            "status": "running" if run.status == ACCEPTED else run.status,
            "orders": self.orders,
            "quarantine": self.quarantine,
        }


@dataclass
class Verification:
    orders: Drift
    quarantine: Drift
    held: list[Held] = field(default_factory=list)  # extras a failed or running run holds: not drift

    @property
    def drift(self) -> bool:
        return self.orders.any or self.quarantine.any

    def as_dict(self) -> dict[str, Any]:
        return {
            "drift": self.drift,
            "orders": self.orders.as_dict(),
            "quarantine": self.quarantine.as_dict(),
            "held": [held.as_dict() for held in self.held],
        }


def folded(stack: StackRef) -> Projections:
    return fold(stack.audit().scan())


def verify(stack: StackRef, log: Projections | None = None) -> Verification:
    """The orders table and the open quarantine items against what the log says they hold. An extra that a
    failed or running run wrote (its `at` and file) is that run's, held apart from the drift."""
    log = log or folded(stack)
    fetch = stack.inbox().get_json
    unfinished = {run.run.id: run for run in log.runs() if run.status in (FAILED, ACCEPTED)}
    writers: dict[tuple[str, str], RunSummary] = {}  # (projection, id) of an extra -> the unfinished run that wrote it

    def orders_scanned() -> Iterator[tuple[str, dict[str, Any]]]:
        for order in stack.orders().scan():
            order_id = str(order["OrderId"])
            run = unfinished.get(str(order.get("_at")))
            if order_id not in log.orders and run and str(order.get("_source", "")).startswith(f"{run.run.file_id}#"):
                writers[("orders", order_id)] = run
            yield order_id, order

    messages = log.quarantine()

    def items_scanned() -> Iterator[tuple[str, dict[str, Any]]]:
        for item in stack.quarantined().items():
            body = body_of(item)
            run = unfinished.get(str(body.get("at")))
            ours = run is not None and (run.run.file_id == body.get("file_id") or run.run.file == body.get("batch"))
            if item["id"] not in messages and run is not None and ours:
                writers[("quarantine", str(item["id"]))] = run
            yield str(item["id"]), body

    orders = compare(log.orders, orders_scanned(), lambda order_id: log.order(order_id, fetch))
    quarantine = compare(messages, items_scanned(), messages.__getitem__)
    return Verification(orders, quarantine, _held(writers, orders, quarantine))


def _held(writers: dict[tuple[str, str], RunSummary], orders: Drift, quarantine: Drift) -> list[Held]:
    """Each unfinished run's extras, taken out of the drift's."""
    held: dict[str, Held] = {}
    for name, drift in (("orders", orders), ("quarantine", quarantine)):
        kept = []
        for key in drift.extra:
            run = writers.get((name, key))
            if run is None:
                kept.append(key)
            else:
                getattr(held.setdefault(run.run.id, Held(run)), name).append(key)
        drift.extra = kept
    return [held[at] for at in sorted(held)]


def rebuild(stack: StackRef, out: Path) -> dict[str, int]:
    """orders.jsonl and quarantine.jsonl as `local run --out` writes them, and files.jsonl (one line per file
    run), from the log alone."""
    log = folded(stack)
    fetch = stack.inbox().get_json
    out.mkdir(parents=True, exist_ok=True)
    projections.write_orders(out, (log.order(order_id, fetch) for order_id in log.orders))
    messages = log.quarantine()
    projections.write_quarantine(out, messages.values(), fetch)
    runs = log.runs()
    with (out / projections.FILES).open("w", encoding="utf-8") as handle:
        for run in runs:
            handle.write(json_codec.dumps(run.as_dict(), spaced=True, sort_keys=True) + "\n")
    return {"orders": len(log.orders), "quarantine": len(messages), "files": len(runs)}


@dataclass
class Repair:
    verification: Verification
    restored: list[str]  # order ids written back (empty for a plan)
    applied: bool

    def as_dict(self) -> dict[str, Any]:
        orders = self.verification.orders
        return {
            "applied": self.applied,
            "restore": sorted(orders.missing + orders.changed),
            "restored": self.restored,
            "left": {"extra": orders.extra, "quarantine": self.verification.quarantine.as_dict()},
            "verify": self.verification.as_dict(),
        }


def repair(stack: StackRef, *, apply: bool, at: str | None = None) -> Repair:
    """The plan (`apply` False), or the plan carried out: every missing and changed order written back as the
    log holds it, each restore an `order.repaired` event with what the table held before. An extra order is
    reported, never deleted: the log does not know it. The quarantine's drift is reported, not repaired."""
    log = folded(stack)
    found = verify(stack, log)
    if not apply:
        return Repair(found, [], applied=False)
    at = at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    orders, audit, inbox = stack.orders(), stack.audit(), stack.inbox()
    restored = []
    for order_id in sorted(found.orders.missing + found.orders.changed):
        item = log.order(order_id, inbox.get_json)
        before = _before(orders.get(order_id), order_id, at, inbox.bucket, inbox.put_json)
        orders.restore(item)
        audit.append([audit_events.order_repaired(order_id=order_id, at=at, source=item["_source"], before=before)])
        restored.append(order_id)
    return Repair(found, restored, applied=True)


def _before(
    item: dict[str, Any] | None, order_id: str, at: str, bucket: str, put: Callable[[str, Any], None]
) -> dict[str, Any]:
    if item is None:
        return {}
    held, offload = inline_or_ref("before", item, key=f"{REPAIRED_ITEMS}/{at}/{order_id}.json", bucket=bucket)
    if offload is not None:
        put(offload.key, offload.value)
        return held
    return {"before_json": json_codec.dumps(item)}
