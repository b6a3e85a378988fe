"""The audit log folded into what it says the stores hold: the log is the source of truth, the orders table,
the quarantine view and the file runs are projections of it, and this module derives them from the events
alone, one event at a time in any order (a table scan's), so any store can be checked or rebuilt.

- orders: every `record.stored` event's item, as written (inline, or by reference to an immutable S3 object);
  the first stored per order id (by its run's `at`), since the orders table never overwrites one;
- quarantine: per quarantine id, the latest of its outcomes (by run, then attempt): when that is `quarantined`, the
  quarantine message its event records; when a later run stored it or found it a duplicate (a redrive batch, a
  replay), nothing. A replay's `quarantined` event that sent no message (`message_at`: the record was
  quarantined already for the same reasons, or a redrive had taken it on) leaves the id as the events of the
  runs that sent its message say. A rejected file's id is quarantined by `file.rejected` until its
  `file.resolved`;
- runs: the file events, folded as `salesdq runs` folds them (salesdq/operators/run_summaries.py).

`compare` says how a live store differs from a projection: missing (the log has it, the store does not),
extra (the store has it, the log does not), changed (both, with different content).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from salesdq.operators.run_summaries import RunSummary, fold_runs
from services.domain import json_codec, quarantine_message
from services.domain.audit_events import EventKind
from services.domain.outcomes import Outcome

Fetch = Callable[[str], Any]  # an S3 key of the inbox bucket -> its JSON


@dataclass(frozen=True)
class _Latest:
    place: tuple[str, int]  # (run at, attempt): a later run's outcome, or a later attempt's, supersedes
    event: Mapping[str, Any] | None  # the quarantining event; None when the id is no longer quarantined


@dataclass
class Projections:
    """What the log says the stores hold. Orders as their events hold them (JSON text or a reference), made
    whole by `order`, so a projection of a million orders holds text, not a million parsed documents."""

    orders: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # order id -> its stored event
    _order_at: dict[str, str] = field(default_factory=dict)
    _quarantine: dict[str, _Latest] = field(default_factory=dict)
    _file_events: list[Mapping[str, Any]] = field(default_factory=list)

    def add(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        if kind == EventKind.RECORD_STORED:
            self._stored(event)
        if kind in (EventKind.RECORD_STORED, EventKind.RECORD_DUPLICATE, EventKind.RECORD_QUARANTINED):
            self._outcome(event)
        elif kind == EventKind.FILE_REJECTED:
            self._supersede(_rejected_id(event), (str(event["at"]), 1), event)
        elif kind == EventKind.FILE_RESOLVED:
            self._supersede(str(quarantine_message.quarantine_id_in(event)), (str(event["at"]), 1), None)
        if "day" in event:  # only file events carry the by-day index's attribute
            self._file_events.append(event)

    def _stored(self, event: Mapping[str, Any]) -> None:
        order_id, at = str(event["order_id"]), str(event["at"])
        if order_id not in self.orders or at < self._order_at[order_id]:
            self.orders[order_id] = {k: event[k] for k in ("item_json", "item_ref") if k in event}
            self._order_at[order_id] = at

    def _outcome(self, event: Mapping[str, Any]) -> None:
        origin = event.get("detail") or {}
        quarantine_id = quarantine_message.quarantine_id_in(origin) or quarantine_message.record_id(
            str(event["file_id"]), int(event["index"])
        )
        quarantined = event.get("outcome") == Outcome.QUARANTINED
        if quarantined and "message_at" in event:
            return  # a replay kept the message an earlier run sent: that run's event holds it
        self._supersede(quarantine_id, (str(event["at"]), int(event.get("attempt", 1))), event if quarantined else None)

    def _supersede(self, quarantine_id: str, place: tuple[str, int], event: Mapping[str, Any] | None) -> None:
        known = self._quarantine.get(quarantine_id)
        if known is None or place >= known.place:
            self._quarantine[quarantine_id] = _Latest(place, event)

    def order(self, order_id: str, fetch: Fetch) -> dict[str, Any]:
        held = self.orders[order_id]
        if "item_ref" in held:
            item: dict[str, Any] = fetch(str(held["item_ref"]["key"]))
            return item
        parsed: dict[str, Any] = json_codec.loads(str(held["item_json"]))
        return parsed

    def quarantine(self) -> dict[str, dict[str, Any]]:
        """The quarantine messages the log says are open, by quarantine id (a record's by reference when it
        travelled so)."""
        return {
            quarantine_id: _message(latest.event)
            for quarantine_id, latest in self._quarantine.items()
            if latest.event is not None
        }

    def runs(self) -> list[RunSummary]:
        return fold_runs(self._file_events)


def fold(events: Iterable[Mapping[str, Any]]) -> Projections:
    projections = Projections()
    for event in events:
        projections.add(event)
    return projections


def _rejected_id(event: Mapping[str, Any]) -> str:
    return str(quarantine_message.from_rejected_event(event)["id"])


def _message(event: Mapping[str, Any]) -> dict[str, Any]:
    if event.get("event") == EventKind.FILE_REJECTED:
        return quarantine_message.from_rejected_event(event)
    return quarantine_message.from_record_event(event)


@dataclass
class Drift:
    """How one live store differs from its projection (ids sorted)."""

    expected: int
    actual: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.missing or self.extra or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "actual": self.actual,
            "missing": self.missing,
            "extra": self.extra,
            "changed": self.changed,
        }


def compare(
    expected_ids: Iterable[str],
    actual: Iterable[tuple[str, Any]],
    expected: Callable[[str], Any],
) -> Drift:
    """`actual`: the live store's (id, content), streamed; `expected(id)`: the projection's content. Contents
    are compared canonically (numbers by value, keys in any order), as DynamoDB holds them."""
    wanted = set(expected_ids)
    drift = Drift(expected=len(wanted))
    seen: set[str] = set()
    for key, content in actual:
        drift.actual += 1
        seen.add(key)
        if key not in wanted:
            drift.extra.append(key)
        elif json_codec.canonical(content) != json_codec.canonical(expected(key)):
            drift.changed.append(key)
    drift.missing = sorted(wanted - seen)
    drift.extra.sort()
    drift.changed.sort()
    return drift
