"""`salesdq contract check` and `contract diff`: what a contract file enforces, in words, and how two contracts
differ, each change classified as datacontract-cli's `breaking` does: `breaking` (a record stored before may now
be quarantined, or a field consumers relied on is gone), `relaxing` (the reverse) or `doc` (descriptions only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from salesdq.errors import UsageError
from services.contract import CompiledContract, load
from services.contract.compiler import ERROR, WARNING, Prop
from services.contract.file_rules import FileRule
from services.domain import limits
from services.domain.contract import Rule
from services.validator.store_orders import MAX_ORDER_BYTES

BREAKING, RELAXING, DOC = "breaking", "relaxing", "doc"
FILE = "(file)"  # where a diff names a change of the contract's file-level rules
# What every contract gets whatever it says (services/domain/contract.py): not the contract's to relax.
BUILT_IN = (
    f"DynamoDB's storage limits: numbers of at most {limits.MAX_NUMBER_DIGITS} significant digits (number_range), "
    f"object keys of 1 to {limits.MAX_ATTRIBUTE_NAME_BYTES:,} bytes (attribute_name), at most {limits.MAX_LEVELS} "
    "levels of nesting (nesting_depth), valid Unicode text (invalid_text), a stored order of at most "
    f"{MAX_ORDER_BYTES:,} bytes (oversize)",
    f"the key: valid Unicode, at most {limits.MAX_ORDER_ID_BYTES:,} bytes of UTF-8 (key_size)",
    "reserved top-level fields OrderId, _source, _hash, _file, _at (reserved_field)",
    "a record is an object (not_object); a key given twice in one object (duplicate_key); an unreadable JSON "
    "Lines line (unreadable); a record differing from the stored order of its id (conflict)",
)


def read(path: Path) -> CompiledContract:
    """A contract file compiled; ContractError when salesdq refuses it, UsageError when it is no file."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return load(path)


# ------------------------------------------------------------------ check: what it enforces, in words


def _fields(props: tuple[Prop, ...], at: str = "") -> Iterator[tuple[str, Prop]]:
    for prop in props:
        yield f"{at}{prop.name}", prop
        yield from _fields(prop.properties, f"{at}{prop.name}.")


def _bounds(low: Any, high: Any, unit: str = "") -> str | None:
    if low is None and high is None:
        return None
    if high is None:
        return f"at least {low}{unit}"
    return f"at most {high}{unit}" if low is None else f"from {low} to {high}{unit}"


def rules_of(prop: Prop) -> list[tuple[str, str]]:
    """(rule name, what it asks) for each check of a property, in the order they apply."""
    kind = prop.logical_type
    words = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
    found: list[tuple[str, str]] = []
    if prop.required:
        found.append(("missing", "present, not null"))
    if kind == "object":
        found.append((prop.rule("type"), "an object"))
    elif kind is not None:
        taken = (
            " (a whole number taken as its digits)"
            if prop.whole_numbers
            else (" (ASCII digits as text taken as the number)" if prop.digit_text else "")
        )
        found.append((prop.rule("type"), words[kind] + taken))
    if prop.primary_key:
        also = ", also read from " + ", ".join(prop.aliases) if prop.aliases else ""
        found.append((Rule.AMBIGUOUS, f"the record's key (primaryKey), trimmed, Unicode NFC{also}: all given agree"))
    if prop.missing_values:
        shown = ", ".join(repr(v) for v in prop.missing_values)
        found.append((prop.blank_rule, f"not blank (not {shown} once trimmed)"))
    if (length := _bounds(prop.min_length, prop.max_length, " characters")) is not None:
        found.append((prop.rule("min_length" if prop.min_length is not None else "max_length"), length))
    if prop.pattern:
        found.append((prop.rule("pattern"), f"matches {prop.pattern}"))
    if prop.format == "email":
        found.append(
            (prop.rule("email"), "an email address with a dotted domain, local part <= 64 bytes, domain <= 255")
        )
    if (bounds := _bounds(prop.minimum, prop.maximum)) is not None:
        found.append((prop.rule("minimum" if prop.minimum is not None else "maximum"), bounds))
    if prop.allowed is not None:
        found.append((prop.rule("allowed_values"), "one of " + ", ".join(map(str, prop.allowed))))
    if prop.visible_rule:
        found.append((prop.visible_rule, "no control or format character (Unicode Cc, Cf, Zl, Zp)"))
    return found


_COMPILED = {"apiVersion", "kind", "id", "version", "schema"}


def describe(contract: CompiledContract) -> dict[str, Any]:
    return {
        "file": contract.source,
        "valid": True,
        "id": contract.document.get("id"),
        "version": contract.plan.version,
        "contract": contract.version,
        "digest": contract.digest,
        "enforces": [
            {
                "field": path,
                "rules": [
                    {"rule": rule, "check": words, "severity": WARNING if rule in prop.warnings else ERROR}
                    for rule, words in rules_of(prop)
                ],
            }
            for path, prop in _fields(contract.plan.properties)
        ],
        "file_rules": [
            {"rule": rule.id, "check": rule.words(), "severity": rule.severity, "metric": rule.metric}
            for rule in contract.plan.file_rules
        ],
        "built_in": list(BUILT_IN),
        # the rest of the document describes the data product (team, servers, SLAs, ...): said, not enforced
        "not_enforced": sorted(set(contract.document) - _COMPILED),
    }


# ------------------------------------------------------------------ diff


@dataclass(frozen=True)
class Change:
    kind: str  # breaking, relaxing or doc
    field: str
    change: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "field": self.field, "change": self.change}


def _tighter(old: Any, new: Any, lower: bool) -> str | None:
    """For a lower bound (lower=True) or an upper one: breaking when added or narrowed, relaxing the reverse."""
    if old == new:
        return None
    if old is None:
        return BREAKING
    if new is None:
        return RELAXING
    return BREAKING if (new > old) == lower else RELAXING


def _allowed_change(old: tuple[Any, ...] | None, new: tuple[Any, ...] | None) -> str | None:
    """Allowed values (None: any): a new or smaller set narrows."""
    if old == new or (old is not None and new is not None and set(old) == set(new)):
        return None
    if new is None:
        return RELAXING
    return RELAXING if old is not None and set(new) >= set(old) else BREAKING


def _blank_change(old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    """Values counted as blank: a new or bigger set refuses more."""
    if set(old) == set(new):
        return None
    return RELAXING if set(new) <= set(old) else BREAKING


def _prop_changes(path: str, old: Prop, new: Prop) -> Iterator[Change]:
    def change(kind: str | None, what: str) -> Iterator[Change]:
        if kind is not None:
            yield Change(kind, path, what)

    if old.logical_type != new.logical_type:
        yield Change(BREAKING, path, f"logicalType {old.logical_type} -> {new.logical_type}")
    if old.required != new.required:
        yield Change(BREAKING if new.required else RELAXING, path, f"required {old.required} -> {new.required}")
    if old.primary_key != new.primary_key:
        yield Change(BREAKING, path, f"primaryKey {old.primary_key} -> {new.primary_key}")
    for flag in ("whole_numbers", "digit_text"):
        before, after = getattr(old, flag), getattr(new, flag)
        if before != after:
            name = {"whole_numbers": "acceptWholeNumbers", "digit_text": "acceptDigitText"}[flag]
            yield Change(RELAXING if after else BREAKING, path, f"{name} {before} -> {after}")
    for attr, name, lower in (
        ("minimum", "minimum", True),
        ("maximum", "maximum", False),
        ("min_length", "minLength", True),
        ("max_length", "maxLength", False),
    ):
        before, after = getattr(old, attr), getattr(new, attr)
        yield from change(_tighter(before, after, lower), f"{name} {_shown(before)} -> {_shown(after)}")
    for attr, name in (("pattern", "pattern"), ("format", "format")):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            kind = RELAXING if after is None else BREAKING  # a changed pattern or format cannot be compared
            yield Change(kind, path, f"{name} {_shown(before)} -> {_shown(after)}")
    yield from change(_allowed_change(old.allowed, new.allowed), f"allowed values {old.allowed} -> {new.allowed}")
    yield from change(
        _blank_change(old.missing_values, new.missing_values),
        f"blank values {list(old.missing_values)} -> {list(new.missing_values)}",
    )
    if (old.visible_rule is None) != (new.visible_rule is None):
        yield Change(RELAXING if new.visible_rule is None else BREAKING, path, "visibleText rule removed or added")
    removed = set(old.aliases) - set(new.aliases)
    if removed:
        yield Change(BREAKING, path, f"aliases no longer read: {', '.join(sorted(removed))}")
    if set(new.aliases) - set(old.aliases):
        yield Change(RELAXING, path, f"aliases added: {', '.join(sorted(set(new.aliases) - set(old.aliases)))}")
    renamed = {
        (old.rule(check), new.rule(check))
        for check in _CHECKS
        if old.rule(check) != new.rule(check) and _has(old, check) and _has(new, check)
    }
    if old.blank_rule != new.blank_rule:
        renamed.add((old.blank_rule, new.blank_rule))
    for before, after in sorted(renamed):
        # reports, metrics and alerts count failures by rule name: a renamed rule breaks what watches the old one
        yield Change(BREAKING, path, f"the rule named {before} is now {after}")


# a check, and the Prop field that sets it (None: the logicalType itself)
_CHECK_FIELDS = {
    "type": "logical_type",
    "minimum": "minimum",
    "maximum": "maximum",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
    "email": "format",
    "allowed_values": "allowed",
}
_CHECKS = tuple(_CHECK_FIELDS)


def _has(prop: Prop, check: str) -> bool:
    return getattr(prop, _CHECK_FIELDS[check]) is not None


def enforced(prop: Prop, also: frozenset[str] = frozenset()) -> Prop:
    """The property as far as it can quarantine a record: the checks of its rules of severity warning (and of the
    rules in `also`) left out, since such a check stores the record whatever it finds. Its type stays: the
    record's shape is read by it."""
    left_out = set(prop.warnings) | also
    cleared: dict[str, Any] = {
        _CHECK_FIELDS[check]: None for check in _CHECKS[1:] if _has(prop, check) and prop.rule(check) in left_out
    }
    if prop.blank_rule in left_out:
        cleared["missing_values"] = ()
    return replace(prop, **cleared)


def _severity(prop: Prop) -> dict[str, str]:
    """Each rule of the property, by name: error or warning."""
    return {rule: WARNING if rule in prop.warnings else ERROR for rule, _ in rules_of(prop)}


def _severity_changes(path: str, old: Prop, new: Prop) -> Iterator[Change]:
    """A rule raised from warning to error breaks (it quarantines what it stored); lowered, it relaxes. A
    warning rule added or removed changes no outcome, only what reports count: doc."""
    before, after = _severity(old), _severity(new)
    for rule in sorted(set(before) | set(after)):
        was, now = before.get(rule), after.get(rule)
        if was == now:
            continue
        if was is not None and now is not None:
            yield Change(BREAKING if now == ERROR else RELAXING, path, f"rule {rule}: {was} -> {now}")
        elif WARNING in (was, now):
            yield Change(DOC, path, f"warning rule {rule} {'added' if now else 'removed'}")


def _file_rule_changes(old: tuple[FileRule, ...], new: tuple[FileRule, ...]) -> Iterator[Change]:
    """File-level rules by id: `breaking` when a file accepted before may now be rejected (an error rule added,
    raised from warning, or its bound narrowed), `relaxing` the reverse; a warning rule's changes only alert: doc."""
    olds, news = {r.id: r for r in old}, {r.id: r for r in new}
    for name in sorted(set(olds) | set(news)):
        was, now = olds.get(name), news.get(name)
        if was == now:
            continue
        if was is None or now is None:
            rule = now or was
            assert rule is not None
            added = now is not None
            kind = DOC if rule.severity == WARNING else (BREAKING if added else RELAXING)
            yield Change(kind, FILE, f"{rule.severity} rule {name} {'added' if added else 'removed'}: {rule.words()}")
            continue
        if was.severity != now.severity:
            kind = BREAKING if now.severity == ERROR else RELAXING
            yield Change(kind, FILE, f"rule {name}: {was.severity} -> {now.severity}")
        if (was.metric, was.unit, was.operator, was.bound) != (now.metric, now.unit, now.operator, now.bound):
            kind = DOC if now.severity == WARNING and was.severity == WARNING else _bound_change(was, now)
            yield Change(kind, FILE, f"rule {name}: {was.expected()} -> {now.expected()}")


_LOWER = ("mustBeGreaterThan", "mustBeGreaterOrEqualTo")  # a lower bound: raising it narrows
_UPPER = ("mustBeLessThan", "mustBeLessOrEqualTo")  # an upper bound: lowering it narrows


def _bound_change(was: FileRule, now: FileRule) -> str:
    """A file-level rule's bound moved: narrowed (fewer files pass) breaks, widened relaxes; a change of metric,
    unit or kind of operator cannot be compared, and breaks."""
    if (was.metric, was.unit) != (now.metric, now.unit):
        return BREAKING
    if was.operator == now.operator and was.operator in (*_LOWER, *_UPPER):
        return BREAKING if (now.bound[0] > was.bound[0]) == (was.operator in _LOWER) else RELAXING
    if was.operator == now.operator == "mustBeBetween":
        (low, high), (new_low, new_high) = was.bound, now.bound
        return RELAXING if new_low <= low and new_high >= high else BREAKING
    return BREAKING


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _docs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per property path, its documentation fields (what changes no verdict)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(props: list[dict[str, Any]], at: str) -> None:
        for prop in props:
            path = f"{at}{prop.get('name')}"
            found[path] = {
                k: v
                for k, v in prop.items()
                if k in ("description", "businessName", "tags", "examples", "classification")
            } | {
                # the rules' descriptions, whatever their ids (a renamed rule is said as such, not as a doc change)
                "quality": sorted(str(q["description"]) for q in prop.get("quality", []) if q.get("description"))
            }
            walk(prop.get("properties") or [], f"{path}.")

    for record in document.get("schema") or []:
        walk(record.get("properties") or [], "")
    found["(contract)"] = {k: document.get(k) for k in ("description", "name", "tags")}
    return found


def diff(old: CompiledContract, new: CompiledContract) -> list[Change]:
    olds, news = dict(_fields(old.plan.properties)), dict(_fields(new.plan.properties))
    changes: list[Change] = []
    for path, prop in olds.items():
        if path not in news:
            changes.append(Change(BREAKING, path, "property removed"))
        else:
            # a rule whose severity changed is said once, by its severity (its checks compared as warnings)
            before, after = _severity(prop), _severity(news[path])
            moved = frozenset(r for r in before.keys() & after.keys() if before[r] != after[r])
            changes.extend(_prop_changes(path, enforced(prop, moved), enforced(news[path], moved)))
            changes.extend(_severity_changes(path, prop, news[path]))
    for path, prop in news.items():
        if path not in olds:
            checks = [rule for rule, _ in rules_of(prop)]
            kind = BREAKING if checks else DOC
            changes.append(Change(kind, path, "property added" + (f" ({', '.join(checks)})" if checks else "")))
    old_docs, new_docs = _docs(old.document), _docs(new.document)
    for path in sorted(set(old_docs) & set(new_docs)):
        if old_docs[path] != new_docs[path] and not any(c.field == path for c in changes if c.kind == DOC):
            changes.append(Change(DOC, path, "description changed"))
    changes.extend(_file_rule_changes(old.plan.file_rules, new.plan.file_rules))
    if old.plan.version != new.plan.version:
        changes.append(Change(DOC, "(contract)", f"version {old.plan.version} -> {new.plan.version}"))
    return changes
