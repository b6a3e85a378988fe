"""Shared pieces of the end-to-end tier: running the CLI, reading its output, and an independent oracle.

The oracle re-states the validation rules of docs/validation.md without importing the
product's contract, so a regression in the contract shows up as a disagreement here.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "brief-sample.json"  # the sample published with the brief
MOCK_DATA = REPO / "mock-data.json"

ALIASES = ("OrderId", "orderId", "order-id", "order_id")
METADATA = ("_source", "_hash", "_file", "_at")
TERMINAL = {"record.stored": "stored", "record.duplicate": "duplicate", "record.quarantined": "quarantined"}
OVERSIZE_BYTES = 350_000


# ----------------------------------------------------------------------------------------------- output


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Run:
    """One `salesdq local run` and what it left in --out."""

    rc: int
    summary: dict[str, Any]
    out: Path
    stdout: str = ""
    stderr: str = ""

    @cached_property
    def orders(self) -> list[dict[str, Any]]:
        return read_jsonl(self.out / "orders.jsonl")

    @cached_property
    def quarantine(self) -> list[dict[str, Any]]:
        return read_jsonl(self.out / "quarantine.jsonl")

    @cached_property
    def audit(self) -> list[dict[str, Any]]:
        return read_jsonl(self.out / "audit.jsonl")

    @property
    def files(self) -> list[dict[str, Any]]:
        return self.summary["files"]

    def file(self, name: str) -> dict[str, Any]:
        found = [f for f in self.files if Path(f["file"]).name == name]
        assert len(found) == 1, f"{name} appears {len(found)} times in the summary"
        return found[0]

    def orders_by_id(self) -> dict[str, dict[str, Any]]:
        by_id = {o["OrderId"]: o for o in self.orders}
        assert len(by_id) == len(self.orders), "orders.jsonl holds an OrderId twice"
        return by_id

    def terminal_events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Record outcome events (one per record), optionally of one file (by basename)."""
        found = [e for e in self.audit if e.get("event") in TERMINAL]
        if name is not None:
            found = [e for e in found if Path(e["file"]).name == name]
        return found

    def outcomes(self, name: str) -> dict[int, dict[str, Any]]:
        """index -> the record's terminal event; asserts each index ends exactly once."""
        events = self.terminal_events(name)
        counts = Counter(e["index"] for e in events)
        repeated = {i: n for i, n in counts.items() if n != 1}
        assert not repeated, f"{name}: indexes with more than one terminal event: {repeated}"
        return {e["index"]: e for e in events}

    def file_events(self, kind: str, name: str | None = None) -> list[dict[str, Any]]:
        found = [e for e in self.audit if e.get("event") == kind]
        if name is not None:
            found = [e for e in found if Path(e["file"]).name == name]
        return found

    def record_dlq(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [m for m in self.quarantine if m.get("kind") == "record"]
        if name is not None:
            found = [m for m in found if Path(m["file"]).name == name]
        return found

    def file_dlq(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [m for m in self.quarantine if m.get("kind") == "file"]
        if name is not None:
            found = [m for m in found if Path(m["file"]).name == name]
        return found


def assert_accounted(run: Run, name: str) -> dict[int, dict[str, Any]]:
    """A completed file: every index 0..records-1 ends exactly once, and the counts add up everywhere."""
    result = run.file(name)
    assert result["status"] == "completed", result
    records = result["records"]
    assert records == result["stored"] + result["duplicates"] + result["quarantined"], result
    outcomes = run.outcomes(name)
    assert sorted(outcomes) == list(range(records))
    by_outcome = Counter(e["outcome"] for e in outcomes.values())
    assert by_outcome["stored"] == result["stored"]
    assert by_outcome["duplicate"] == result["duplicates"]
    assert by_outcome["quarantined"] == result["quarantined"]
    for event in outcomes.values():
        for key in ("file", "index", "outcome", "order_id", "reasons"):
            assert key in event, (key, event)
        assert TERMINAL[event["event"]] == event["outcome"]
        assert bool(event["reasons"]) == (event["outcome"] == "quarantined"), event
    dlq = run.record_dlq(name)
    assert len(dlq) == result["quarantined"]
    assert sorted(m["index"] for m in dlq) == sorted(i for i, e in outcomes.items() if e["outcome"] == "quarantined")
    return outcomes


def assert_totals_add_up(summary: dict[str, Any]) -> None:
    totals = summary["totals"]
    files = summary["files"]
    assert totals["files"] == len(files)
    for key in ("records", "stored", "duplicates", "quarantined"):
        assert totals[key] == sum(f[key] for f in files), key
    for status in ("completed", "rejected", "duplicate", "failed"):
        assert totals[status] == sum(1 for f in files if f["status"] == status), status


def reason_pairs(reasons: list[dict[str, str]]) -> frozenset[tuple[str, str]]:
    for reason in reasons:
        assert set(reason) >= {"field", "rule", "message"}, reason
        assert reason["message"].strip(), reason
    return frozenset((r["field"], r["rule"]) for r in reasons)


def stored_content(order: dict[str, Any]) -> dict[str, Any]:
    """A stored order without the service's bookkeeping fields."""
    return {k: v for k, v in order.items() if k not in METADATA}


# ----------------------------------------------------------------------------------------------- inputs


def order(
    order_id: Any = "1",
    *,
    item: Any = "101",
    qty: Any = "1",
    name: Any = "Ada Lovelace",
    email: Any = "ada@example.com",
    alias: str = "OrderId",
    **extra: Any,
) -> dict[str, Any]:
    """A complete record (unless arguments make it otherwise)."""
    return {
        "order-info": {alias: order_id, "item-id": item, "item-desc": "Item", "qty": qty},
        "contact-info": {"name": name, "email": email},
        **extra,
    }


def write_json(directory: Path, name: str, value: Any) -> Path:
    path = directory / name
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(directory: Path, name: str, values: list[Any]) -> Path:
    path = directory / name
    path.write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values), encoding="utf-8")
    return path


def write_bytes(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------------------------- oracle

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_WHOLE_TEXT = re.compile(r"^\s*\+?\d+\s*$")


def _identifier(value: Any) -> str | None:
    """Identifiers are strings or whole numbers; booleans, floats, null, objects and arrays are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _positive_whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    if isinstance(value, str) and _WHOLE_TEXT.match(value):
        number = int(value.strip().lstrip("+"))
        return number if number >= 1 else None
    return None


@dataclass(frozen=True)
class Verdict:
    order_id: str | None
    reasons: frozenset[tuple[str, str]] = frozenset()
    normalized: dict[str, Any] | None = field(default=None, compare=False)


def judge(record: Any) -> Verdict:
    """One record against the rules, on its own (no duplicates or conflicts yet)."""
    if not isinstance(record, dict):
        return Verdict(None, frozenset({("$", "not_object")}))
    reasons: set[tuple[str, str]] = set()
    order_id: str | None = None
    info = record.get("order-info")
    if info is None:
        reasons.add(("order-info", "missing"))
    elif not isinstance(info, dict):
        reasons.add(("order-info", "type"))
    else:
        present = [a for a in ALIASES if a in info]
        if not present:
            reasons.add(("order-info.OrderId", "missing"))
        elif any(_identifier(info[a]) is None for a in present):
            first_bad = next(a for a in present if _identifier(info[a]) is None)
            reasons.add((f"order-info.{first_bad}", "type"))
        else:
            ids = {str(_identifier(info[a])).strip() for a in present}
            if len(ids) > 1:
                reasons.add(("order-info.OrderId", "ambiguous"))
            elif ids == {""}:
                reasons.add(("order-info.OrderId", "blank"))
            else:
                order_id = ids.pop()
        item = info.get("item-id")
        if item is None:
            reasons.add(("order-info.item-id", "missing"))
        elif _identifier(item) is None:
            reasons.add(("order-info.item-id", "type"))
        elif not str(_identifier(item)).strip():
            reasons.add(("order-info.item-id", "blank"))
        if info.get("qty") is None:
            reasons.add(("order-info.qty", "missing"))
        elif _positive_whole(info["qty"]) is None:
            reasons.add(("order-info.qty", "positive_whole"))
    contact = record.get("contact-info")
    if contact is None:
        reasons.add(("contact-info", "missing"))
    elif not isinstance(contact, dict):
        reasons.add(("contact-info", "type"))
    else:
        name = contact.get("name")
        if name is None:
            reasons.add(("contact-info.name", "missing"))
        elif _identifier(name) is None:
            reasons.add(("contact-info.name", "type"))
        elif not str(_identifier(name)).strip():
            reasons.add(("contact-info.name", "blank"))
        email = contact.get("email")
        if email is None:
            reasons.add(("contact-info.email", "missing"))
        elif not isinstance(email, str) or not _EMAIL.match(email.strip()):
            reasons.add(("contact-info.email", "email"))
    if reasons:
        return Verdict(order_id, frozenset(reasons))
    assert isinstance(info, dict) and isinstance(contact, dict)
    new_info = {"OrderId": order_id, **{k: v for k, v in info.items() if k not in ALIASES}}
    new_info["qty"] = _positive_whole(info["qty"])
    new_info["item-id"] = str(_identifier(info["item-id"])).strip()
    new_contact = {**contact, "name": str(_identifier(contact["name"])).strip(), "email": contact["email"].strip()}
    normalized = {**copy.deepcopy(record), "order-info": new_info, "contact-info": new_contact}
    return Verdict(order_id, normalized=normalized)


@dataclass(frozen=True)
class Expected:
    outcome: str
    order_id: str | None
    reasons: frozenset[tuple[str, str]]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class Oracle:
    """Outcomes in file order; `stored` carries over between files of one run (first wins, never overwritten)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def run(self, records: list[Any]) -> list[Expected]:
        expected = []
        for record in records:
            verdict = judge(record)
            if verdict.normalized is None:
                expected.append(Expected("quarantined", verdict.order_id, verdict.reasons))
                continue
            order_id = verdict.order_id
            assert order_id is not None
            if len(canonical(verdict.normalized).encode("utf-8")) > OVERSIZE_BYTES:
                expected.append(Expected("quarantined", order_id, frozenset({("$", "oversize")})))
            elif order_id not in self.stored:
                self.stored[order_id] = verdict.normalized
                expected.append(Expected("stored", order_id, frozenset()))
            elif canonical(self.stored[order_id]) == canonical(verdict.normalized):
                expected.append(Expected("duplicate", order_id, frozenset()))
            else:
                expected.append(Expected("quarantined", order_id, frozenset({("order-info.OrderId", "conflict")})))
        return expected

    def expected_orders(self) -> dict[str, dict[str, Any]]:
        """What orders.jsonl should hold (without bookkeeping fields)."""
        return {oid: {**normalized, "OrderId": oid} for oid, normalized in self.stored.items()}


def assert_matches_oracle(run: Run, name: str, expected: list[Expected]) -> None:
    outcomes = assert_accounted(run, name)
    assert len(outcomes) == len(expected)
    dlq = {m["index"]: m for m in run.record_dlq(name)}
    mismatches = []
    for index, want in enumerate(expected):
        got = outcomes[index]
        actual = Expected(got["outcome"], got["order_id"], reason_pairs(got["reasons"]))
        if actual != want:
            mismatches.append((index, want, actual))
        if want.outcome == "quarantined" and index in dlq:
            assert reason_pairs(dlq[index]["reasons"]) == reason_pairs(got["reasons"]), index
            assert dlq[index]["order_id"] == got["order_id"], index
    assert not mismatches, "\n".join(f"#{i}: expected {w}, got {a}" for i, w, a in mismatches)


def assert_orders_match(run: Run, oracle: Oracle) -> None:
    got = {oid: stored_content(o) for oid, o in run.orders_by_id().items()}
    want = oracle.expected_orders()
    assert sorted(got) == sorted(want)
    for oid in want:
        assert canonical(got[oid]) == canonical(want[oid]), oid
