"""Shared pieces of the end-to-end tier: running the CLI, reading its output, and an independent oracle.

The oracle re-states the validation rules of docs/validation.md (records, and the DynamoDB limits with their
exact cutoffs) without importing the product's contract, so a regression in the contract shows up as a
disagreement here. Inputs may hold `Dup` objects: JSON objects written with a key more than once.
"""

from __future__ import annotations

import copy
import decimal
import json
import os
import re
import signal
import socket
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
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
# docs/validation.md, "Limits"
ORDER_ID_BYTES = 1024
NUMBER_DIGITS = 38
ATTRIBUTE_NAME_BYTES = 65_535
CONTAINER_LEVELS = 31  # an object or array may sit at level 31 at most (a record's fields are level 1)
REASONS_PER_RULE = 5
# docs/validation.md, "Records": top-level names a stored order uses itself; an id's unseen characters;
# RFC 5321's lengths of an address's parts
RESERVED = ("OrderId", *METADATA)
UNSEEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")
EMAIL_LOCAL_BYTES, EMAIL_DOMAIN_BYTES = 64, 255


# ----------------------------------------------------------------------------------------------- a local stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def local_env(port: int) -> dict[str, str]:
    """What an operator's shell exports to reach an engine serving on `port` (as `local up` prints it)."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


@contextmanager
def local_up() -> Iterator[dict[str, str]]:
    """`salesdq local up` in a subprocess on a free port, until the block ends (then SIGTERM, exit 0): yields
    the environment an operator's shell would have (AWS_ENDPOINT_URL pointing at it)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "salesdq", "local", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    assert f"AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in ready, ready
    yield {**os.environ, **local_env(port)}
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def salesdq(env: dict[str, str], *args: str | Path, timeout: float | None = 300) -> subprocess.CompletedProcess[str]:
    """A `salesdq` command in a process of its own, against the stack `env` points at (as local_up yields)."""
    return subprocess.run(
        [sys.executable, "-m", "salesdq", *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout
    )


# ----------------------------------------------------------------------------------------------- output


def json_of(result: subprocess.CompletedProcess[str]) -> Any:
    """The one JSON document a command printed on stdout (`--json`)."""
    return json.loads(result.stdout)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """JSON Lines as written, numbers exact (non-integers as Decimal); lines end at "\n" only (a JSON string
    may hold U+2028, which str.splitlines would split at)."""
    text = path.read_text(encoding="utf-8")
    return [json.loads(line, parse_float=Decimal) for line in text.split("\n") if line.strip()]


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

    def record_messages(self, name: str | None = None) -> list[dict[str, Any]]:
        found = [m for m in self.quarantine if m.get("kind") == "record"]
        if name is not None:
            found = [m for m in found if Path(m["file"]).name == name]
        return found

    def file_messages(self, name: str | None = None) -> list[dict[str, Any]]:
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
    queued = run.record_messages(name)
    assert len(queued) == result["quarantined"]
    assert sorted(m["index"] for m in queued) == sorted(i for i, e in outcomes.items() if e["outcome"] == "quarantined")
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


class Dup(list):  # type: ignore[type-arg]
    """A JSON object written with its (key, value) pairs as given: keys may repeat."""


class Line(str):
    """A JSON Lines line written as is, which salesdq cannot read as a JSON value (docs/validation.md: not
    JSON, NaN, a number of more than 10,000 digits, nesting past 100 levels): its record is this text."""


def encode(value: Any, *, ascii: bool = False) -> str:
    """JSON text of value: Decimals as written, Dup objects with their repeated keys, lone surrogates
    escaped (so the text is UTF-8) whatever `ascii` says."""
    if isinstance(value, Dup):
        return "{" + ",".join(f"{encode(k, ascii=True)}:{encode(v, ascii=ascii)}" for k, v in value) + "}"
    if isinstance(value, Line):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{encode(k, ascii=ascii)}:{encode(v, ascii=ascii)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v, ascii=ascii) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and not ascii and not _valid_text(value):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=ascii)


def nest(levels: int, leaf: Any = 1) -> Any:
    """`levels` arrays inside one another around leaf."""
    for _ in range(levels):
        leaf = [leaf]
    return leaf


def write_json(directory: Path, name: str, value: Any) -> Path:
    path = directory / name
    path.write_text(encode(value), encoding="utf-8")
    return path


def write_jsonl(directory: Path, name: str, values: list[Any]) -> Path:
    path = directory / name
    path.write_text("".join(encode(v) + "\n" for v in values), encoding="utf-8")
    return path


def write_bytes(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------------------------- oracle

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_WHOLE_TEXT = re.compile(r"^\s*\+?([0-9]+)\s*$")  # ASCII digits only


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parsed(value: Any) -> Any:
    """What a JSON parser reads of value: a Dup's last value for each key, in first-seen order."""
    if isinstance(value, Dup):
        result: dict[str, Any] = {}
        for key, item in value:
            result[key] = parsed(item)
        return result
    if isinstance(value, dict):
        return {k: parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [parsed(v) for v in value]
    return value


def field_name(path: list[str | int]) -> str:
    """A reason's field: keys joined by ".", [i] for array items, "$" for the record; an empty key is
    written "", one longer than 40 characters cut to 37 and "...", one that is not valid text escaped."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if _valid_text(part) else part.encode("utf-8", "backslashreplace").decode("ascii")
        key = '""' if not key else key if len(key) <= 40 else key[:37] + "..."
        text += f".{key}" if text else key
    return (text if len(text) <= 200 else text[:197] + "...") or "$"


def duplicated_keys(value: Any, path: list[str | int] | None = None) -> list[str]:
    """The fields of keys a Dup holds more than once; an object a later value of its key replaced is not read."""
    path = path or []
    found: list[str] = []
    if isinstance(value, Dup):
        last: dict[str, Any] = {}
        for key, item in value:
            if key in last and field_name([*path, key]) not in found:
                found.append(field_name([*path, key]))
            last[key] = item
        for key, item in last.items():
            found += duplicated_keys(item, [*path, key])
    elif isinstance(value, dict):
        for key, item in value.items():
            found += duplicated_keys(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += duplicated_keys(item, [*path, index])
    return found


def storable_number(value: Any) -> bool:
    """At most 38 significant digits, magnitude 1E-130 to 9.99...E+125, or zero (docs/validation.md)."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return False
    if number == 0:
        return True
    digits = "".join(str(d) for d in number.as_tuple().digits).strip("0")
    return len(digits) <= NUMBER_DIGITS and Decimal("1E-130") <= number.copy_abs() < Decimal("1E+126")


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


TEXT_FIELDS = {"order-info": (*ALIASES, "item-id"), "contact-info": ("name",)}


def limit_reasons(record: dict[str, Any]) -> set[tuple[str, str]]:
    """What DynamoDB could not store of a record, as (field, rule), each rule capped as the doc says."""
    found: dict[str, list[str]] = {}

    def walk(value: Any, path: list[str | int], level: int, text_fields: tuple[str, ...]) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            here = [*path, key]
            if isinstance(key, str):
                if not _valid_text(key):
                    found.setdefault("invalid_text", []).append(field_name(here))
                elif not 1 <= len(key.encode("utf-8")) <= ATTRIBUTE_NAME_BYTES:
                    found.setdefault("attribute_name", []).append(field_name(here))
            if isinstance(item, dict | list):
                if level > CONTAINER_LEVELS:
                    found.setdefault("nesting_depth", []).append(field_name(here))
                else:
                    texts = (
                        TEXT_FIELDS.get(key, ())
                        if level == 1 and isinstance(key, str) and isinstance(item, dict)
                        else ()
                    )
                    walk(item, here, level + 1, texts)
            elif isinstance(item, str):
                if not _valid_text(item) and not (key in text_fields and key in ALIASES):
                    found.setdefault("invalid_text", []).append(field_name(here))
            elif _number(item) and key not in text_fields and not storable_number(item):
                found.setdefault("number_range", []).append(field_name(here))

    walk(record, [], 1, ())
    return {pair for rule, fields in found.items() for pair in capped(rule, fields)}


def capped(rule: str, fields: list[str]) -> set[tuple[str, str]]:
    pairs = {(f, rule) for f in fields[:REASONS_PER_RULE]}
    return pairs | ({("$", rule)} if len(fields) > REASONS_PER_RULE else set())


def _identifier(value: Any) -> str | None:
    """Identifiers are strings or whole numbers; booleans, floats, null, objects and arrays are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def id_form(text: str) -> str:
    """An order id as it is keyed: trimmed, and NFC (valid text only: a lone surrogate stays as it is)."""
    text = text.strip()
    return unicodedata.normalize("NFC", text) if _valid_text(text) else text


def _positive_whole(value: Any) -> int | str | None:
    """qty as stored; "number_range" for text DynamoDB could not store as a number; None if not whole."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    match = _WHOLE_TEXT.match(value) if isinstance(value, str) else None
    if not match:
        return None
    digits = match.group(1).lstrip("0")
    if not digits:
        return None
    if len(digits) > 126 or len(digits.rstrip("0")) > NUMBER_DIGITS:
        return "number_range"
    return int(digits)


@dataclass(frozen=True)
class Verdict:
    order_id: str | None
    reasons: frozenset[tuple[str, str]] = frozenset()
    normalized: dict[str, Any] | None = field(default=None, compare=False)


def judge(record: Any, duplicates: list[str] | None = None) -> Verdict:
    """One record against the rules, on its own (no duplicates or conflicts yet); `duplicates`: the fields
    of keys the file held twice (found while parsing)."""
    if isinstance(record, Line):
        return Verdict(None, frozenset({("$", "unreadable")}))
    if not isinstance(record, dict):
        return Verdict(None, frozenset({("$", "not_object")}))
    reasons: set[tuple[str, str]] = limit_reasons(record) | capped("duplicate_key", duplicates or [])
    reasons |= {(name, "reserved_field") for name in RESERVED if name in record}
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
            ids = {id_form(str(_identifier(info[a]))) for a in present}
            if len(ids) > 1:
                reasons.add(("order-info.OrderId", "ambiguous"))
            elif ids == {""}:
                reasons.add(("order-info.OrderId", "blank"))
            elif not _valid_text(next(iter(ids))):
                reasons.add(("order-info.OrderId", "invalid_text"))
            elif any(unicodedata.category(c) in UNSEEN_CATEGORIES for c in next(iter(ids))):
                reasons.add(("order-info.OrderId", "control_character"))
            elif len(next(iter(ids)).encode("utf-8")) > ORDER_ID_BYTES:
                reasons.add(("order-info.OrderId", "key_size"))
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
        elif _positive_whole(info["qty"]) == "number_range":
            reasons.add(("order-info.qty", "number_range"))
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
        else:
            local, _, domain = email.strip().rpartition("@")
            if len(local.encode()) > EMAIL_LOCAL_BYTES or len(domain.encode()) > EMAIL_DOMAIN_BYTES:
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


def _by_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _by_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_by_value(v) for v in value]
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        context = decimal.Context(
            prec=max(1, len(number.as_tuple().digits)), Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN
        )
        return {"$number": str(number.normalize(context)) if number else "0"}
    return value


def canonical(value: Any) -> str:
    """Content as text: keys sorted, numbers by value (3, 3.0 and 3.00 alike, as DynamoDB keeps them)."""
    return json.dumps(_by_value(value), sort_keys=True, ensure_ascii=True)


def same(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


class Oracle:
    """Outcomes in file order; `stored` carries over between files of one run (first wins, never overwritten)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, str] = {}  # order id -> `<file sha256>#<index>` of its stored record

    def run(self, records: list[Any], file_id: str | None = None) -> list[Expected]:
        """`file_id` (the file's sha256), when given, records where each stored order came from."""
        expected = []
        for index, written in enumerate(records):
            record = parsed(written)
            verdict = judge(record, duplicated_keys(written))
            if verdict.normalized is None:
                expected.append(Expected("quarantined", verdict.order_id, verdict.reasons))
                continue
            order_id = verdict.order_id
            assert order_id is not None
            if len(encode(verdict.normalized).encode("utf-8")) > OVERSIZE_BYTES:  # the record's JSON, near enough
                expected.append(Expected("quarantined", order_id, frozenset({("$", "oversize")})))
            elif order_id not in self.stored:
                self.stored[order_id] = verdict.normalized
                if file_id is not None:
                    self.sources[order_id] = f"{file_id}#{index}"
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
    queued = {m["index"]: m for m in run.record_messages(name)}
    mismatches = []
    for index, want in enumerate(expected):
        got = outcomes[index]
        actual = Expected(got["outcome"], got["order_id"], reason_pairs(got["reasons"]))
        if actual != want:
            mismatches.append((index, want, actual))
        if want.outcome == "quarantined" and index in queued:
            assert reason_pairs(queued[index]["reasons"]) == reason_pairs(got["reasons"]), index
            assert queued[index]["order_id"] == got["order_id"], index
    assert not mismatches, "\n".join(f"#{i}: expected {w}, got {a}" for i, w, a in mismatches)


def assert_orders_match(run: Run, oracle: Oracle) -> None:
    got = {oid: stored_content(o) for oid, o in run.orders_by_id().items()}
    want = oracle.expected_orders()
    assert sorted(got) == sorted(want)
    for oid in want:
        assert canonical(got[oid]) == canonical(want[oid]), oid
