"""The record contract as data: an ODCS file (contracts/sales.odcs.yaml by default) read, checked against the
standard and compiled into the validator once per cold start or command (docs/contracts.md).

`default()` is the contract the functions judge by; `load(path)` reads any contract file and refuses, with a
ContractError, a file that is not ODCS or that asks for what salesdq cannot enforce.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from services.contract import compiler, file_rules, loader
from services.contract.compiler import Failure, Plan, Prop
from services.contract.errors import ContractError, NotOdcsError, UnsupportedConstructError
from services.contract.file_rules import FileCounts, FileVerdict
from services.domain.contract import (
    RESERVED_FIELDS,
    KeySpec,
    Reason,
    Rule,
    Verdict,
    capped_reasons,
    duplicate_key_reason,
    extract_key,
    not_object_reason,
    reserved_field_reason,
    storage_limits,
)

__all__ = ["DEFAULT_PATH", "CompiledContract", "ContractError", "NotOdcsError", "UnsupportedConstructError"]

DEFAULT_PATH = Path(__file__).resolve().parent / "sales.odcs.yaml"  # contracts/sales.odcs.yaml, shipped here


@dataclass(frozen=True)
class _Node:
    """An object property compiled: its marshmallow schema for its scalar properties, and its nested objects."""

    prop: Prop
    schema: Schema | None  # None when it has no scalar properties: nothing for marshmallow to do
    objects: tuple[tuple[int, _Node], ...]  # (position among the properties, node)
    positions: dict[str, int]  # a property's place: reasons follow the contract's order


def _node(prop: Prop) -> _Node:
    objects = tuple((i, _node(p)) for i, p in enumerate(prop.properties) if p.logical_type == "object")
    scalars = [p for p in prop.properties if p.logical_type != "object"]
    positions = {p.name: i for i, p in enumerate(prop.properties)}
    return _Node(prop, compiler.object_schema(scalars) if scalars else None, objects, positions)


class CompiledContract:
    """One contract, compiled: `check` judges a record as services/domain/contract.py's rules say, by this
    contract's properties and rule names."""

    def __init__(self, plan: Plan, source: str = "", document: dict[str, Any] | None = None) -> None:
        self.plan = plan
        self.source = source
        self.document = document or {}  # the ODCS document as read: its descriptions, for `contract diff`
        self.digest = plan.digest()
        # the contract's name in every event, run and report: its own version and what it compiles to
        self.version = f"{plan.version}+{self.digest[:12]}"
        self.key: KeySpec = compiler.key_spec(plan.properties)
        self.key_field = f"{self.key.section}.{self.key.name}"  # where reasons about the order id point
        # the key's own checks past what extract_key judges (a pattern, lengths, allowed values), on its text
        key = compiler.key_prop(plan.properties)
        extra = (key.min_length, key.max_length, key.pattern, key.format, key.allowed)
        self._key_checks = compiler.validator(key) if any(v is not None for v in extra) else None
        self.text_fields = compiler.text_fields(plan.properties)
        self._root = _node(Prop(name="$", logical_type="object", properties=plan.properties))

    def extract_order_id(self, record: Any) -> tuple[str | None, Reason | None]:
        return extract_key(record, self.key)

    def check(self, record: Any, *, duplicate_keys: Sequence[str] = (), unreadable: str | None = None) -> Verdict:
        """Apply the contract to one record. `duplicate_keys`: the paths of keys the file held more than once
        in one object (found while parsing). `unreadable`: why a JSON Lines line could not be read as JSON."""
        if unreadable is not None:
            return Verdict(None, reasons=[Reason("$", Rule.UNREADABLE, unreadable)])
        if not isinstance(record, dict):
            return Verdict(None, reasons=[not_object_reason(record)])
        order_id, id_reason = extract_key(record, self.key)
        reasons = [id_reason] if id_reason else []
        if order_id is not None and self._key_checks is not None:
            reasons += self._key_reasons(order_id)
        reasons += [reserved_field_reason(name) for name in RESERVED_FIELDS if name in record]
        warnings: list[Reason] = []
        reasons += _object_reasons(self._root, record, "", warnings)
        reasons += storage_limits(record, self.text_fields, self.key)
        reasons += capped_reasons(Rule.DUPLICATE_KEY, (duplicate_key_reason(path) for path in duplicate_keys))
        if reasons:
            return Verdict(order_id, reasons=reasons, warnings=warnings)
        return Verdict(order_id, record=self.normalize(record, order_id), warnings=warnings)

    def _key_reasons(self, order_id: str) -> list[Reason]:
        assert self._key_checks is not None
        try:
            self._key_checks(order_id)
        except ValidationError as error:
            name = self.key.name
            return [Reason(f"{self.key.section}.{name}", f.rule, f"{name} {f.message}") for f in error.messages]  # type: ignore[union-attr]
        return []

    def judge_file(self, counts: FileCounts) -> list[FileVerdict]:
        """The contract's file-level rules, judged on a completed run's counts (services/contract/file_rules.py)."""
        return file_rules.judge(self.plan.file_rules, counts)

    def normalize(self, record: dict[str, Any], order_id: str | None) -> dict[str, Any]:
        """The stored shape: the key's aliases folded into its name, text trimmed (a whole number taken as its
        digits), digit-text integers as numbers; fields the contract does not name kept as they are."""
        return _normalized(self.plan.properties, record, self.key, order_id)


def _object_reasons(node: _Node, value: dict[str, Any], at: str, warnings: list[Reason]) -> list[Reason]:
    """Why the object's properties fail the contract's errors, in the contract's order; the failures of its
    warnings are added to `warnings`."""
    errors: dict[str, list[Failure]] = node.schema.validate(value) if node.schema else {}  # type: ignore[assignment]
    found: dict[int, list[Reason]] = {}
    for name, failures in errors.items():
        reasons = [Reason(f"{at}{name}", f.rule, f"{name} {f.message}") for f in failures]
        if any(f.warning for f in failures):
            warnings += [reason for reason, f in zip(reasons, failures, strict=True) if f.warning]
            reasons = [reason for reason, f in zip(reasons, failures, strict=True) if not f.warning]
        if reasons:
            found[node.positions[name]] = reasons
    for i, child in node.objects:
        name = child.prop.name
        inner = value.get(name)
        if inner is None:
            if child.prop.required:
                found[i] = [Reason(f"{at}{name}", Rule.MISSING, f"{name} is required")]
        elif not isinstance(inner, dict):
            reason = Reason(f"{at}{name}", child.prop.rule("type"), f"{name} must be an object")
            if reason.rule in child.prop.warnings:
                warnings.append(reason)
            else:
                found[i] = [reason]
        else:
            found[i] = _object_reasons(child, inner, f"{at}{name}.", warnings)
    if len(found) < 2:
        return next(iter(found.values()), [])
    return [reason for i in sorted(found) for reason in found[i]]


def _normalized(props: Sequence[Prop], value: dict[str, Any], key: KeySpec, order_id: str | None) -> dict[str, Any]:
    out = dict(value)
    for prop in props:
        if prop.name not in out and not prop.primary_key:
            continue
        if prop.primary_key:
            kept = {k: v for k, v in out.items() if k not in key.aliases}
            out = {key.name: order_id, **kept}
        elif prop.logical_type == "object" and isinstance(out[prop.name], dict):
            out[prop.name] = _normalized(prop.properties, out[prop.name], key, order_id)
        elif prop.logical_type == "string" and isinstance(out[prop.name], str):
            out[prop.name] = out[prop.name].strip()
        elif prop.logical_type == "string" and prop.whole_numbers and _whole(out[prop.name]):
            out[prop.name] = str(out[prop.name])
        elif (
            prop.logical_type == "integer"
            and prop.digit_text
            and isinstance(out[prop.name], str)
            and (digits := compiler.WHOLE.match(out[prop.name])) is not None
        ):  # a value that failed a warning rule is stored as it came: only digits become the number
            out[prop.name] = int(digits.group(1))
    return out


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def compile_model(model: Any, source: str = "", document: dict[str, Any] | None = None) -> CompiledContract:
    return CompiledContract(compiler.plan(model), source, document)


def load(path: Path) -> CompiledContract:
    """A contract file, read, checked against the ODCS standard and compiled; ContractError says why not."""
    document, model = loader.load_file(path)
    return compile_model(model, str(path), document)


def from_text(text: str, source: str) -> CompiledContract:
    """A contract's ODCS text (a published one, as kept in the bucket), read and compiled as `load` does."""
    document = loader.read_document(text, source)
    return compile_model(loader.read_model(document, source), source, document)


@functools.cache
def default() -> CompiledContract:
    """The default contract, compiled once per process (a function's cold start)."""
    return load(DEFAULT_PATH)
