"""Seeded sales files whose every outcome is known by construction, and what the service must make of them.

A scenario is a few files uploaded in turn, each finished before the next: they share order ids, so an order
stored by one file makes a later file's record a duplicate (same content, in any key order, whitespace, alias
or number-as-text) or a conflict (same id, other content). Each file mixes new valid records, duplicates,
conflicts, complete records for ids that so far had only invalid ones, and invalid records of many rules, with
a scenario's small chunks spreading one order's records over several chunks of its partition.

The expectations come from the input alone: tests/e2e/helpers.py's oracle restates docs/validation.md without
importing the product's contract, and carries stored orders from file to file in upload order.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.helpers import ALIASES, Expected, Oracle, canonical

INCOMING = "incoming/"  # where salesdq's uploads go (salesdq.resources.INCOMING_PREFIX), restated

NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
DOMAINS = ["example.com", "example.org", "shop.example.net"]
DESCRIPTIONS = ["Widget", "Gadget", "Gizmo", "Sprocket", ""]
EXTRAS: list[tuple[str, Any]] = [
    ("note", "fragile"),
    ("note", ""),
    ("gift", {"wrap": True}),
    ("tags", [1, "a"]),
    ("channel", None),
    ("priority", 2),
]


@dataclass(frozen=True)
class ScenarioFile:
    """One file of a scenario: its records and the exact bytes uploaded (the shape and spacing vary)."""

    name: str
    records: tuple[Any, ...]
    data: bytes

    @property
    def file_id(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def key(self) -> str:
        return INCOMING + self.name

    def write(self, directory: Path) -> Path:
        path = directory / self.name
        path.write_bytes(self.data)
        return path


@dataclass(frozen=True)
class FileExpectation:
    """What one file must come to: each record's outcome in file order, and the summary's counts."""

    file: ScenarioFile
    outcomes: tuple[Expected, ...]

    @property
    def quarantined(self) -> dict[int, frozenset[tuple[str, str]]]:
        """index -> the (field, rule) pairs its record is quarantined for."""
        return {i: e.reasons for i, e in enumerate(self.outcomes) if e.outcome == "quarantined"}

    @property
    def by_quarantine_id(self) -> dict[str, frozenset[tuple[str, str]]]:
        """quarantine id (`<file sha256>:<index>`) -> the (field, rule) pairs of its message."""
        return {f"{self.file.file_id}:{i}": pairs for i, pairs in self.quarantined.items()}

    @property
    def counts(self) -> dict[str, int]:
        by_outcome = Counter(e.outcome for e in self.outcomes)
        return {
            "records": len(self.outcomes),
            "stored": by_outcome["stored"],
            "duplicates": by_outcome["duplicate"],
            "quarantined": by_outcome["quarantined"],
        }

    @property
    def failures_by_rule(self) -> dict[str, int]:
        """How many quarantined records failed each rule (a record counts once per rule)."""
        rules: Counter[str] = Counter()
        for pairs in self.quarantined.values():
            rules.update({rule for _, rule in pairs})
        return dict(rules)


@dataclass(frozen=True)
class ExpectedOrder:
    content: dict[str, Any]  # the normalized record, OrderId included, without the service's bookkeeping
    source: str  # `<file sha256>#<index>` of the record stored
    file: str  # the key it was uploaded under


@dataclass(frozen=True)
class Scenario:
    """Files to upload in this order, how the engine splits them, and everything they must come to."""

    seed: int
    files: tuple[ScenarioFile, ...]
    chunk_records: int
    max_partitions: int
    expectations: tuple[FileExpectation, ...] = field(init=False)
    orders: dict[str, ExpectedOrder] = field(init=False)

    def __post_init__(self) -> None:
        oracle = Oracle()
        expectations = tuple(
            FileExpectation(f, tuple(oracle.run(list(f.records), file_id=f.file_id))) for f in self.files
        )
        keys = {f.file_id: f.key for f in self.files}
        orders = {
            oid: ExpectedOrder(content, oracle.sources[oid], keys[oracle.sources[oid].split("#", 1)[0]])
            for oid, content in oracle.expected_orders().items()
        }
        object.__setattr__(self, "expectations", expectations)
        object.__setattr__(self, "orders", orders)

    def expectation(self, file_id: str) -> FileExpectation:
        [found] = [e for e in self.expectations if e.file.file_id == file_id]
        return found


# ----------------------------------------------------------------------------------------- records


def complete(rng: random.Random, order_id: str) -> dict[str, Any]:
    """A complete record of order `order_id`, in its plainest form."""
    name = rng.choice(NAMES)
    info: dict[str, Any] = {"OrderId": order_id, "item-id": str(rng.randint(100, 999)), "qty": rng.randint(1, 9)}
    if rng.random() < 0.6:
        info["item-desc"] = rng.choice(DESCRIPTIONS)
    contact = {"name": name, "email": f"{name.split()[0].lower()}@{rng.choice(DOMAINS)}"}
    record: dict[str, Any] = {"order-info": info, "contact-info": contact}
    if rng.random() < 0.3:
        key, value = rng.choice(EXTRAS)
        record[key] = copy.deepcopy(value)
    return record


def _pad(rng: random.Random, text: str) -> str:
    return rng.choice(["", " ", "  ", "\t"]) + text + rng.choice(["", " ", "  "])


def _shuffled(rng: random.Random, mapping: dict[str, Any]) -> dict[str, Any]:
    items = list(mapping.items())
    rng.shuffle(items)
    return dict(items)


def restyled(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """The same content in another form: key order, whitespace the contract trims, an id alias, numbers as
    text or text as numbers. Descriptions and unknown fields are kept as they are (they are not trimmed)."""
    info = dict(record["order-info"])
    contact = dict(record["contact-info"])
    order_id = next(str(info.pop(alias)).strip() for alias in [a for a in ALIASES if a in info])
    alias = rng.choice(ALIASES)
    info[alias] = int(order_id) if order_id.isdigit() and rng.random() < 0.5 else _pad(rng, order_id)
    item = str(info["item-id"])
    info["item-id"] = int(item) if rng.random() < 0.3 else _pad(rng, item)
    qty = int(info["qty"])
    info["qty"] = rng.choice([qty, str(qty), f" {qty} ", f"+{qty}", f"0{qty}"])
    contact["name"] = _pad(rng, str(contact["name"]))
    contact["email"] = _pad(rng, str(contact["email"]))
    top = {k: v for k, v in record.items() if k not in ("order-info", "contact-info")}
    return _shuffled(rng, {**top, "order-info": _shuffled(rng, info), "contact-info": _shuffled(rng, contact)})


def conflicting(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """The same order id with other content, in any form."""
    other = copy.deepcopy(record)
    change = rng.randrange(5)
    if change == 0:
        other["order-info"]["qty"] = int(str(other["order-info"]["qty"]).strip()) + rng.randint(1, 5)
    elif change == 1:
        other["order-info"]["item-id"] = str(int(str(other["order-info"]["item-id"]).strip()) + 1)
    elif change == 2:
        other["contact-info"]["email"] = "other@" + rng.choice(DOMAINS)
    elif change == 3:
        other["order-info"]["item-desc"] = str(other["order-info"].get("item-desc", "")) + " (revised)"
    else:
        other["note"] = f"changed {rng.randint(1, 99)}"
    return restyled(rng, other) if rng.random() < 0.5 else other


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    section, key = path.split(".")

    def mutate(record: dict[str, Any]) -> Any:
        record[section][key] = value
        return record

    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], Any]:
    section, _, key = path.partition(".")

    def mutate(record: dict[str, Any]) -> Any:
        if key:
            record[section].pop(key, None)
        else:
            record.pop(section, None)
        return record

    return mutate


def _replace(section: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def mutate(record: dict[str, Any]) -> Any:
        record[section] = value
        return record

    return mutate


def _ambiguous(record: dict[str, Any]) -> Any:
    record["order-info"]["order_id"] = str(record["order-info"]["OrderId"]) + "9"
    return record


# Ways to break a complete record that keep its order id (it is still routed with its order) ...
KEEPING_ID: list[Callable[[dict[str, Any]], Any]] = [
    _set("order-info.qty", 0),
    _set("order-info.qty", -1),
    _set("order-info.qty", "abc"),
    _set("order-info.qty", 2.5),
    _set("order-info.qty", True),
    _drop("order-info.qty"),
    _set("order-info.item-id", "  "),
    _set("order-info.item-id", None),
    _drop("order-info.item-id"),
    _set("contact-info.email", "not-an-email"),
    _set("contact-info.email", "ada@"),
    _drop("contact-info.email"),
    _set("contact-info.name", " \t"),
    _set("contact-info.name", {"first": "Ada"}),
    _drop("contact-info.name"),
    _replace("contact-info", "ada"),
    _drop("contact-info"),
    _ambiguous,
]
# ... and ways that leave it none.
LOSING_ID: list[Callable[[dict[str, Any]], Any]] = [
    _set("order-info.OrderId", "   "),
    _set("order-info.OrderId", True),
    _set("order-info.OrderId", 1.5),
    _drop("order-info.OrderId"),
    _drop("order-info"),
    _replace("order-info", ["x"]),
    lambda record: None,
    lambda record: 42,
    lambda record: "an order",
    lambda record: [record],
]


def invalid(rng: random.Random, record: dict[str, Any], keep_id: bool) -> Any:
    """The record broken by one or two rules."""
    broken: Any = copy.deepcopy(record)
    mutations = KEEPING_ID if keep_id else LOSING_ID
    broken = rng.choice(mutations)(broken)
    if keep_id and rng.random() < 0.3:
        second = rng.choice(KEEPING_ID)
        if isinstance(broken.get("order-info"), dict) and isinstance(broken.get("contact-info"), dict):
            broken = second(broken)
    return broken


# ----------------------------------------------------------------------------------------- files


class _Ids:
    """The order ids of a scenario, shared by all its files, and what the generator made of each so far."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next = 0
        self.firsts: dict[str, dict[str, Any]] = {}  # id -> its first complete record (what should be stored)
        self.others: list[dict[str, Any]] = []  # complete records that conflict with a first
        self.invalid_only: list[str] = []  # ids seen only in invalid records so far

    def fresh(self) -> str:
        self._next += 1
        return str(1000 + self._next) if self._rng.random() < 0.5 else f"S-{self._next}"


def _records(rng: random.Random, ids: _Ids, count: int) -> list[Any]:
    records: list[Any] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3 or not ids.firsts:
            order_id = ids.fresh()
            record = complete(rng, order_id)
            ids.firsts[order_id] = record
        elif roll < 0.5:
            source = rng.choice([*ids.firsts.values()] * 4 + ids.others)  # mostly stored orders, some conflicts
            record = restyled(rng, source)
        elif roll < 0.65:
            record = conflicting(rng, rng.choice(list(ids.firsts.values())))
            ids.others.append(record)
        elif roll < 0.72 and ids.invalid_only:
            order_id = ids.invalid_only.pop(rng.randrange(len(ids.invalid_only)))
            record = complete(rng, order_id)
            ids.firsts[order_id] = record
        else:
            keep_id = rng.random() < 0.7
            known = rng.random() < 0.5
            order_id = rng.choice(list(ids.firsts)) if known else ids.fresh()
            if keep_id and not known:
                ids.invalid_only.append(order_id)
            record = invalid(rng, complete(rng, order_id), keep_id)
        records.append(record)
    return records


def _encode(rng: random.Random, records: list[Any], shape: str) -> bytes:
    ascii_only = rng.random() < 0.5
    if shape == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records).encode("utf-8")
    document: Any = {"orders": records} if shape == "orders" else records
    return json.dumps(document, ensure_ascii=ascii_only, indent=rng.choice([None, 1, 2])).encode("utf-8")


def scenario(
    seed: int,
    *,
    files: int = 3,
    records: tuple[int, int] = (24, 32),
    chunk_records: int = 5,
    max_partitions: int = 3,
    leading_invalid: int = 0,
) -> Scenario:
    """`files` seeded files of `records` (a range) records each, to be split into chunks of chunk_records
    over at most max_partitions partitions (few partitions, small chunks: an order's records land in several
    chunks of its partition). Each file may begin with `leading_invalid` records that have no order id: a
    chunk of only those stores nothing and sends only quarantine messages."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    made = []
    for number in range(files):
        shape = rng.choice(["orders", "array", "jsonl"])
        leading = [invalid(rng, complete(rng, ids.fresh()), keep_id=False) for _ in range(leading_invalid)]
        chosen = leading + _records(rng, ids, rng.randint(*records))
        name = f"s{seed}-day{number + 1}.{'jsonl' if shape == 'jsonl' else 'json'}"
        made.append(ScenarioFile(name, tuple(chosen), _encode(rng, chosen, shape)))
    assert len({f.file_id for f in made}) == len(made), "two files of a scenario have the same bytes"
    return Scenario(seed, tuple(made), chunk_records, max_partitions)


def describe(scenario: Scenario) -> str:
    """A line per file: its outcomes by kind, for a failure message."""
    lines = []
    for expectation in scenario.expectations:
        counts = expectation.counts
        lines.append(
            f"{expectation.file.name} ({expectation.file.file_id[:12]}): {counts['records']} records, "
            f"{counts['stored']} stored, {counts['duplicates']} duplicates, {counts['quarantined']} quarantined"
        )
    return "\n".join(lines)


def same_content(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


def complete_file(seed: int, count: int) -> ScenarioFile:
    """A file of `count` new complete orders only: nothing of it is quarantined."""
    rng = random.Random(f"complete-{seed}")
    records = [complete(rng, f"C{seed}-{i}") for i in range(count)]
    return ScenarioFile(f"s{seed}-complete.json", tuple(records), _encode(rng, records, "orders"))
