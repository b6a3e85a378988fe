"""The validation contract's vocabulary and its built-in rules (docs/validation.md).

What a record must hold is data: the active ODCS contract (contracts/sales.odcs.yaml), compiled by
services/contract/. What is built in here is not the contract's to relax: DynamoDB's storage limits
(`storage_limits`), salesdq's reserved top-level fields (RESERVED_FIELDS), the key's own rules (one text, valid
Unicode, fits a DynamoDB key: `extract_key`), and what reading found (unreadable lines, duplicate keys, records
that are no objects). A run's steps judge by its contract (services/contract/published.py).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from services.domain import json_codec, limits

if TYPE_CHECKING:
    from services.contract import CompiledContract
    from services.domain.active_contract import ContractRef

# The revision of the built-in rules below (storage limits, reserved fields, the key's own rules): a contract's
# version names the digest of what it compiles to, which includes this. Raise it whenever a built-in rule
# changes a verdict: tests/unit/test_contract_version.py fails when the verdicts on its probes change and the
# version does not.
BUILT_IN_RULES = "3"

# The stored order's key attribute (the orders table's partition key): the record's id is stored under it.
ORDER_ID = "OrderId"
# What a stored order holds beside the record's own fields: its key, where it came from and its content hash
# (services/validator/store_orders.py). A record's own top-level field of one of these names is `reserved_field`:
# storing it would overwrite the user's value.
ORIGIN_FIELDS = ("_source", "_hash", "_file", "_at")
RESERVED_FIELDS = (ORDER_ID, *ORIGIN_FIELDS)


class Rule(StrEnum):
    """Rule names: the vocabulary of reasons, quarantine messages and reports. A failure carries its rule as data
    (Failure below), so rewording a message never changes a rule."""

    NOT_OBJECT = "not_object"
    MISSING = "missing"
    TYPE = "type"
    BLANK = "blank"
    POSITIVE_WHOLE = "positive_whole"
    EMAIL = "email"
    AMBIGUOUS = "ambiguous"
    CONFLICT = "conflict"
    OVERSIZE = "oversize"
    NUMBER_RANGE = "number_range"
    KEY_SIZE = "key_size"
    ATTRIBUTE_NAME = "attribute_name"
    NESTING_DEPTH = "nesting_depth"
    INVALID_TEXT = "invalid_text"
    DUPLICATE_KEY = "duplicate_key"
    RESERVED_FIELD = "reserved_field"
    CONTROL_CHARACTER = "control_character"
    UNREADABLE = "unreadable"
    PROCESSING_FAILED = "processing_failed"


_JSON_TYPE_NAMES = {str: "string", int: "number", float: "number", Decimal: "number", bool: "boolean", list: "array"}
MAX_REASONS_PER_RULE = 5  # storage-limit reasons per rule and record; past it, one reason counts the rest


@dataclass(frozen=True)
class Reason:
    field: str
    rule: str  # a Rule, or a rule the contract names (a quality rule's id)
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class Verdict:
    """The contract's answer for one record: a normalized record, or the reasons it is not complete; and apart
    from both, the failures of rules of severity warning (a complete record is stored with them recorded)."""

    order_id: str | None
    record: dict[str, Any] | None = None
    reasons: list[Reason] = field(default_factory=list)
    warnings: Sequence[Reason] = ()

    @property
    def complete(self) -> bool:
        return not self.reasons


def _scalar_text(value: Any) -> str | None:
    """Strings and whole numbers are accepted as identifiers; booleans and floats are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


@dataclass(frozen=True)
class KeySpec:
    """Where a record's key (its order id) is and how it is judged: the contract's primaryKey property, its
    aliases and the names of its rules. The rest of the key's rules are salesdq's own: it keys DynamoDB items and
    audit histories, so it must be one text (ambiguous), valid Unicode (invalid_text) and fit a key (key_size)."""

    section: str
    name: str
    aliases: tuple[str, ...]  # the name first
    blank_rule: str
    visible_rule: str | None
    whole_numbers: bool
    type_rule: str = Rule.TYPE


def extract_key(record: Any, key: KeySpec) -> tuple[str | None, Reason | None]:
    """The record's normalized order id under a contract's key, or why it has none."""
    if not isinstance(record, dict):
        return None, None
    info = record.get(key.section)
    if not isinstance(info, dict):
        return None, None
    at = f"{key.section}.{key.name}"
    present = {alias: info[alias] for alias in key.aliases if alias in info}
    if not present:
        return None, Reason(at, Rule.MISSING, "an order id is required")
    texts = {alias: _key_text_of(value, key.whole_numbers) for alias, value in present.items()}
    bad = [alias for alias, text in texts.items() if text is None]
    if bad:
        message = "the order id must be a string" + (" or a whole number" if key.whole_numbers else "")
        return None, Reason(f"{key.section}.{bad[0]}", key.type_rule, message)
    distinct = {order_id_form(text) for text in texts.values() if text is not None}
    if len(distinct) > 1:
        names = ", ".join(sorted(present))
        return None, Reason(at, Rule.AMBIGUOUS, f"different order ids in {names}")
    order_id = distinct.pop()
    if not order_id:
        return None, Reason(at, key.blank_rule, "the order id is blank")
    if not _is_text(order_id):
        return None, Reason(at, Rule.INVALID_TEXT, f"the order id {_INVALID_TEXT}")
    if key.visible_rule is not None and (unseen := _control_character(order_id)) is not None:
        return None, Reason(at, key.visible_rule, _control_message(order_id, unseen))
    # at most 4 bytes a character: only a longer id needs measuring
    if (
        len(order_id) * 4 > limits.MAX_ORDER_ID_BYTES
        and (size := len(order_id.encode("utf-8"))) > limits.MAX_ORDER_ID_BYTES
    ):
        message = (
            f"the order id is {size:,} bytes of UTF-8; DynamoDB keys hold it only up to "
            f"{limits.MAX_ORDER_ID_BYTES:,} bytes"
        )
        return None, Reason(at, Rule.KEY_SIZE, message)
    return order_id, None


def _key_text_of(value: Any, whole_numbers: bool) -> str | None:
    return _scalar_text(value) if whole_numbers or isinstance(value, str) else None


def order_id_form(text: str) -> str:
    """An order id as salesdq keys it: trimmed, and in Unicode NFC, so "café" typed with a combining accent
    (NFD) is the order "café" (NFC) is. `history` takes its argument through this too."""
    text = text.strip()
    return unicodedata.normalize("NFC", text) if not text.isascii() and _is_text(text) else text


# Unicode's control (Cc), format (Cf), line (Zl) and paragraph (Zp) separators: a NUL, a newline, a zero-width
# space or a right-to-left override in an id makes orders that look alike, or that no command line can name.
_UNSEEN = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _control_character(text: str) -> int | None:
    """The position of the first control or format character in text, or None."""
    if text.isascii() and text.isprintable():
        return None
    return next((at for at, char in enumerate(text) if unicodedata.category(char) in _UNSEEN), None)


def _control_message(text: str, at: int) -> str:
    char = text[at]
    name = unicodedata.name(char, "a control character")
    return (
        f"the order id holds U+{ord(char):04X} ({name}) at character {at + 1}: an order id is visible text, "
        "without control or format characters"
    )


def not_object_reason(record: Any) -> Reason:
    if record is None:
        return Reason("$", Rule.NOT_OBJECT, "the record is null")
    kind = _JSON_TYPE_NAMES.get(type(record), type(record).__name__)
    return Reason("$", Rule.NOT_OBJECT, f"the record is {_article(kind)} {kind}, not an object")


def reserved_field_reason(name: str) -> Reason:
    return Reason(name, Rule.RESERVED_FIELD, _RESERVED)


def duplicate_key_reason(path: str) -> Reason:
    return Reason(path, Rule.DUPLICATE_KEY, _DUPLICATE)


# ------------------------------------------------------------------ the shipped contract
# The record rules themselves are data: a published contract, or the default shipped with the functions
# (contracts/sales.odcs.yaml), compiled by services/contract/ (which builds on this module's built-in rules, so it
# is imported when first used). Each step is handed the contract of its run (services/contract/published.py);
# only a run that names none (from before contracts were published) is judged by the shipped one.


def shipped() -> CompiledContract:
    """The default contract shipped with the functions, compiled once per process."""
    from services import contract as compiled

    return compiled.default()


def check(record: Any, *, duplicate_keys: Sequence[str] = (), unreadable: str | None = None) -> Verdict:
    """A record judged by the shipped contract (tests, benchmarks, docs/validation.md's oracle); a run's steps
    judge by the run's own contract instead."""
    return shipped().check(record, duplicate_keys=duplicate_keys, unreadable=unreadable)


def extract_order_id(record: Any) -> tuple[str | None, Reason | None]:
    """The record's normalized order id under the shipped contract, or why it has none (as `check`)."""
    return shipped().extract_order_id(record)


def normalize(record: dict[str, Any], order_id: str | None) -> dict[str, Any]:
    """A complete record's stored shape under the shipped contract (as `check`)."""
    return shipped().normalize(record, order_id)


def version_of(ref: ContractRef | None) -> str:
    """A run's contract's name in events: its `version` and the digest of what it compiles to."""
    return ref.version if ref is not None else shipped().version


def content_hash(record: Any) -> str:
    """Identical content <=> identical hash, whatever the key order or whitespace of the source; numbers by
    value, as DynamoDB keeps them (3, 3.0 and 3.00 are one number, never the string "3.0")."""
    return hashlib.sha256(json_codec.canonical(record).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ what DynamoDB can store

_INVALID_TEXT = "is not valid Unicode (it holds a lone surrogate, such as \\ud800): DynamoDB stores text as UTF-8"
NUMBER_LIMITS = "at most 38 significant digits, magnitude 1E-130 to below 1E+126; write it as a string"
_RESERVED = (
    "a top-level field of this name is salesdq's own in a stored order (its key, or where it came from): "
    "rename the field or move it into order-info or contact-info"
)
_DUPLICATE = "the key appears more than once in one object; only its last value was read"


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_text(key: str) -> str:
    """A key as a reason names it: escaped if it is not valid text, shortened if long, quoted if empty."""
    if not key:
        return '""'
    if not _is_text(key):
        key = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return key if len(key) <= 40 else key[:37] + "..."


def path_text(path: Sequence[str | int]) -> str:
    """A value's place in its record, as reasons name fields: order-info.qty, tags[2], $ for the record."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{_key_text(part)}" if text else _key_text(part))
    if len(text) > 200:
        text = text[:197] + "..."
    return text or "$"


def capped_reasons(rule: Rule, reasons: Iterator[Reason]) -> list[Reason]:
    """At most MAX_REASONS_PER_RULE reasons of a rule, then one that counts the rest: a record's reasons
    travel in one audit event and one SQS message, both of bounded size."""
    kept: list[Reason] = []
    more = 0
    for reason in reasons:
        if len(kept) < MAX_REASONS_PER_RULE:
            kept.append(reason)
        else:
            more += 1
    if more:
        kept.append(Reason("$", rule, f"and {more:,} more of this kind"))
    return kept


def storage_limits(record: dict[str, Any], text_fields: Mapping[str, tuple[str, ...]], key: KeySpec) -> list[Reason]:
    """Why DynamoDB could not store the record, value by value: numbers out of range, object keys that are
    no attribute names, objects and arrays nested past its 32 levels, text that is not valid Unicode. The
    fields the contract stores as text (order id, item-id, name) are exempt from the number rule, and the
    order id's text is judged by extract_order_id. `text_fields`: per object field of the record, the fields
    stored as text (the contract's string properties that take whole numbers)."""
    found: dict[Rule, list[Reason]] = {}
    for rule, path, message in _storage_faults(record, text_fields, key):
        found.setdefault(rule, []).append(Reason(path_text(path), rule, message))
    return [reason for rule, reasons in found.items() for reason in capped_reasons(rule, iter(reasons))]


def _storage_faults(
    record: dict[str, Any], text_fields: Mapping[str, tuple[str, ...]], key: KeySpec
) -> Iterator[tuple[Rule, tuple[str | int, ...], str]]:
    # (values, path, level of the values, fields exempt from the number rule); the record's fields are level 1
    stack: list[tuple[Iterator[tuple[Any, Any]], tuple[str | int, ...], int, tuple[str, ...]]] = [
        (iter(record.items()), (), 1, ())
    ]
    while stack:
        values, path, level, as_text = stack[-1]
        entry = next(values, None)
        if entry is None:
            stack.pop()
            continue
        name, value = entry
        here = (*path, name)
        if isinstance(name, str):
            if not _is_text(name):
                yield Rule.INVALID_TEXT, here, f"the key {_INVALID_TEXT}"
            elif not name or (
                len(name) * 4 > limits.MAX_ATTRIBUTE_NAME_BYTES  # at most 4 bytes a character
                and len(name.encode("utf-8")) > limits.MAX_ATTRIBUTE_NAME_BYTES
            ):
                yield Rule.ATTRIBUTE_NAME, here, _attribute_name_message(len(name.encode("utf-8")))
        if isinstance(value, dict | list):
            if level > limits.MAX_CONTAINER_LEVEL:
                yield Rule.NESTING_DEPTH, here, _NESTING_MESSAGE
                continue
            items = iter(value.items()) if isinstance(value, dict) else enumerate(value)
            texts = text_fields.get(name, ()) if level == 1 and isinstance(value, dict) else ()
            stack.append((items, here, level + 1, texts))
        elif isinstance(value, str):
            if not _is_text(value) and not (name in as_text and name in key.aliases and path == (key.section,)):
                yield Rule.INVALID_TEXT, here, f"the text {_INVALID_TEXT}"
        elif (
            isinstance(value, int | Decimal | float)
            and not isinstance(value, bool)
            and name not in as_text
            and not limits.storable(value)
        ):
            yield Rule.NUMBER_RANGE, here, f"DynamoDB cannot store this number: {NUMBER_LIMITS}"


_NESTING_MESSAGE = (
    f"objects and arrays nest deeper than DynamoDB's {limits.MAX_LEVELS} levels here "
    f"(the record's fields are level 1; an object or array may sit at level {limits.MAX_CONTAINER_LEVEL} at most)"
)


def _attribute_name_message(size: int) -> str:
    if size == 0:
        return "an empty key: DynamoDB attribute names need at least one character"
    return f"a key of {size:,} bytes: DynamoDB attribute names are at most {limits.MAX_ATTRIBUTE_NAME_BYTES:,} bytes"
