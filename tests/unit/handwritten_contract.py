"""The oracle of tests/unit/test_compiled_contract.py: the hand-written contract as it was before the rules became
data (services/domain/contract.py at 1ad4729, contract version 2), frozen. The compiled default contract
(contracts/sales.odcs.yaml) must give its verdict and reasons for every record. Do not edit it to make a test pass."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.domain import json_codec, limits

# The version of the rules: every audit event of a record names the one that judged it, so a replay can say
# which records a changed rule moved. Raise it whenever a rule changes: tests/unit/test_contract_version.py
# fails when the contract's verdicts on its probes change and this does not.
CONTRACT_VERSION = "2"

ORDER_ID = "OrderId"
ORDER_ID_ALIASES = ("OrderId", "orderId", "order-id", "order_id")
ORDER_INFO = "order-info"
CONTACT_INFO = "contact-info"
# What a stored order holds beside the record's own fields: its key, where it came from and its content hash
# (services/validator/store_orders.py). A record's own top-level field of one of these names is `reserved_field`:
# storing it would overwrite the user's value.
ORIGIN_FIELDS = ("_source", "_hash", "_file", "_at")
RESERVED_FIELDS = (ORDER_ID, *ORIGIN_FIELDS)
# RFC 5321 4.5.3.1: a local part holds at most 64 octets, a domain at most 255.
MAX_EMAIL_LOCAL_BYTES = 64
MAX_EMAIL_DOMAIN_BYTES = 255


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
# ASCII digits only: Arabic-Indic or fullwidth digits are no whole-number notation here (Python's \d takes them)
_WHOLE = re.compile(r"^\s*\+?([0-9]+)\s*$")
# Fields the contract stores as text whatever they hold: a number there is stored as its digits, not a number.
_TEXT_FIELDS = {ORDER_INFO: (*ORDER_ID_ALIASES, "item-id"), CONTACT_INFO: ("name",)}
MAX_REASONS_PER_RULE = 5  # storage-limit reasons per rule and record; past it, one reason counts the rest


@dataclass(frozen=True)
class Reason:
    field: str
    rule: Rule
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


@dataclass
class Verdict:
    """The contract's answer for one record: a normalized record, or the reasons it is not complete."""

    order_id: str | None
    record: dict[str, Any] | None = None
    reasons: list[Reason] = field(default_factory=list)

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


def extract_order_id(record: Any) -> tuple[str | None, Reason | None]:
    """The record's normalized order id, or why it has none. Used by prepare (partitioning) too."""
    if not isinstance(record, dict):
        return None, None
    info = record.get(ORDER_INFO)
    if not isinstance(info, dict):
        return None, None
    present = {alias: info[alias] for alias in ORDER_ID_ALIASES if alias in info}
    if not present:
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.MISSING, "an order id is required")
    texts = {alias: _scalar_text(value) for alias, value in present.items()}
    bad = [alias for alias, text in texts.items() if text is None]
    if bad:
        return None, Reason(f"{ORDER_INFO}.{bad[0]}", Rule.TYPE, "the order id must be a string or a whole number")
    distinct = {order_id_form(text) for text in texts.values() if text is not None}
    if len(distinct) > 1:
        names = ", ".join(sorted(present))
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.AMBIGUOUS, f"different order ids in {names}")
    order_id = distinct.pop()
    if not order_id:
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.BLANK, "the order id is blank")
    if not _is_text(order_id):
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.INVALID_TEXT, f"the order id {_INVALID_TEXT}")
    if (unseen := _control_character(order_id)) is not None:
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.CONTROL_CHARACTER, _control_message(order_id, unseen))
    # at most 4 bytes a character: only a longer id needs measuring
    if (
        len(order_id) * 4 > limits.MAX_ORDER_ID_BYTES
        and (size := len(order_id.encode("utf-8"))) > limits.MAX_ORDER_ID_BYTES
    ):
        message = (
            f"the order id is {size:,} bytes of UTF-8; DynamoDB keys hold it only up to "
            f"{limits.MAX_ORDER_ID_BYTES:,} bytes"
        )
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.KEY_SIZE, message)
    return order_id, None


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


@dataclass(frozen=True)
class Failure:
    """What a field validator raises inside marshmallow's ValidationError: the rule travels with the message."""

    rule: Rule
    message: str


def _fail(rule: Rule, message: str) -> ValidationError:
    return ValidationError([Failure(rule, message)])


def _non_blank(value: Any) -> None:
    text = _scalar_text(value)
    if text is None:
        raise _fail(Rule.TYPE, "must be a string")
    if not text.strip():
        raise _fail(Rule.BLANK, "must not be blank")


def _positive_whole(value: Any) -> None:
    """An int, or ASCII digits as text; 3.0 and 1e3 are numbers, but not whole-number notation. A text qty is
    stored as a number, so it must be one DynamoDB can hold (a number qty is judged by storage_limits)."""
    if isinstance(value, bool):
        raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")
    if isinstance(value, int):
        if value < 1:
            raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")
        return
    match = _WHOLE.match(value) if isinstance(value, str) else None
    digits = match.group(1).lstrip("0") if match else ""
    if not digits:
        raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")
    if len(digits) > limits.MAX_EXPONENT + 1 or len(digits.rstrip("0")) > limits.MAX_NUMBER_DIGITS:
        raise _fail(Rule.NUMBER_RANGE, f"is stored as a number, and DynamoDB cannot hold this one: {_NUMBER_LIMITS}")


class _Raw(fields.Raw):
    """A required field whose own errors (absent, null) are Failures of rule `missing`, like its validators'."""

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        if key in ("required", "null"):
            return _fail(Rule.MISSING, "is required")
        return super().make_error(key, **kwargs)


class OrderInfoSchema(Schema):
    class Meta:
        unknown = INCLUDE

    item_id = _Raw(required=True, data_key="item-id", validate=_non_blank)
    qty = _Raw(required=True, validate=_positive_whole)


class ContactInfoSchema(Schema):
    class Meta:
        unknown = INCLUDE

    name = _Raw(required=True, validate=_non_blank)
    email = _Raw(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _email(self, data: dict[str, Any], **_: Any) -> None:
        value = data.get("email")
        if value is None:
            return
        if not isinstance(value, str):
            raise ValidationError([Failure(Rule.EMAIL, "must be a string")], "email")
        address = value.strip()
        try:
            validate.Email()(address)
        except ValidationError as error:
            raise ValidationError([Failure(Rule.EMAIL, "is not a valid email address")], "email") from error
        local, _at, domain = address.rpartition("@")
        if "." not in domain:  # marshmallow takes a@localhost; an order needs a real domain
            raise ValidationError([Failure(Rule.EMAIL, "is not a valid email address")], "email")
        for part, size, limit in (
            ("local part", len(local.encode("utf-8")), MAX_EMAIL_LOCAL_BYTES),
            ("domain", len(domain.encode("utf-8")), MAX_EMAIL_DOMAIN_BYTES),
        ):
            if size > limit:  # marshmallow does not measure them
                message = f"has a {part} of {size:,} bytes; an address allows at most {limit} (RFC 5321)"
                raise ValidationError([Failure(Rule.EMAIL, message)], "email")


_ORDER_INFO = OrderInfoSchema()
_CONTACT_INFO = ContactInfoSchema()


def _section_reasons(schema: Schema, section: str, value: Any) -> list[Reason]:
    if value is None:
        return [Reason(section, Rule.MISSING, f"{section} is required")]
    if not isinstance(value, dict):
        return [Reason(section, Rule.TYPE, f"{section} must be an object")]
    errors: dict[str, list[Failure]] = schema.validate(value)  # type: ignore[assignment]
    return [
        Reason(f"{section}.{name}", failure.rule, f"{name} {failure.message}")
        for name, failures in sorted(errors.items())
        for failure in failures
    ]


def check(record: Any, *, duplicate_keys: Sequence[str] = (), unreadable: str | None = None) -> Verdict:
    """Apply the contract to one record. `duplicate_keys`: the paths of keys the file held more than once in
    one object (found while parsing, since a parsed object keeps only the last value). `unreadable`: why a JSON
    Lines line could not be read as a JSON value (the record is then its raw text, kept for a correction)."""
    if unreadable is not None:
        return Verdict(None, reasons=[Reason("$", Rule.UNREADABLE, unreadable)])
    if record is None:
        return Verdict(None, reasons=[Reason("$", Rule.NOT_OBJECT, "the record is null")])
    if not isinstance(record, dict):
        kind = _JSON_TYPE_NAMES.get(type(record), type(record).__name__)
        return Verdict(
            None,
            reasons=[Reason("$", Rule.NOT_OBJECT, f"the record is {_article(kind)} {kind}, not an object")],
        )
    order_id, id_reason = extract_order_id(record)
    reasons = [id_reason] if id_reason else []
    reasons += [Reason(name, Rule.RESERVED_FIELD, _RESERVED) for name in RESERVED_FIELDS if name in record]
    reasons += _section_reasons(_ORDER_INFO, ORDER_INFO, record.get(ORDER_INFO))
    reasons += _section_reasons(_CONTACT_INFO, CONTACT_INFO, record.get(CONTACT_INFO))
    reasons += storage_limits(record)
    reasons += _capped(Rule.DUPLICATE_KEY, (Reason(path, Rule.DUPLICATE_KEY, _DUPLICATE) for path in duplicate_keys))
    if reasons:
        return Verdict(order_id, reasons=reasons)
    return Verdict(order_id, record=normalize(record, order_id))


def normalize(record: dict[str, Any], order_id: str | None) -> dict[str, Any]:
    """The stored shape: aliases folded into OrderId, qty an int, strings trimmed; unknown fields kept."""
    order_info = {k: v for k, v in record[ORDER_INFO].items() if k not in ORDER_ID_ALIASES}
    order_info = {ORDER_ID: order_id, **order_info}
    qty = order_info["qty"]
    if not isinstance(qty, int):
        digits = _WHOLE.match(str(qty))
        assert digits is not None  # a complete record's qty is an int or matches _WHOLE
        qty = int(digits.group(1))
    order_info["qty"] = qty
    order_info["item-id"] = str(order_info["item-id"]).strip()
    contact = dict(record[CONTACT_INFO])
    contact["name"] = str(contact["name"]).strip()
    contact["email"] = str(contact["email"]).strip()
    return {**record, ORDER_INFO: order_info, CONTACT_INFO: contact}


def content_hash(record: Any) -> str:
    """Identical content <=> identical hash, whatever the key order or whitespace of the source; numbers by
    value, as DynamoDB keeps them (3, 3.0 and 3.00 are one number, never the string "3.0")."""
    return hashlib.sha256(json_codec.canonical(record).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ what DynamoDB can store

_INVALID_TEXT = "is not valid Unicode (it holds a lone surrogate, such as \\ud800): DynamoDB stores text as UTF-8"
_NUMBER_LIMITS = "at most 38 significant digits, magnitude 1E-130 to below 1E+126; write it as a string"
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


def _capped(rule: Rule, reasons: Iterator[Reason]) -> list[Reason]:
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


def storage_limits(record: dict[str, Any]) -> list[Reason]:
    """Why DynamoDB could not store the record, value by value: numbers out of range, object keys that are
    no attribute names, objects and arrays nested past its 32 levels, text that is not valid Unicode. The
    fields the contract stores as text (order id, item-id, name) are exempt from the number rule, and the
    order id's text is judged by extract_order_id."""
    found: dict[Rule, list[Reason]] = {}
    for rule, path, message in _storage_faults(record):
        found.setdefault(rule, []).append(Reason(path_text(path), rule, message))
    return [reason for rule, reasons in found.items() for reason in _capped(rule, iter(reasons))]


def _storage_faults(record: dict[str, Any]) -> Iterator[tuple[Rule, tuple[str | int, ...], str]]:
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
        key, value = entry
        here = (*path, key)
        if isinstance(key, str):
            if not _is_text(key):
                yield Rule.INVALID_TEXT, here, f"the key {_INVALID_TEXT}"
            elif not key or (
                len(key) * 4 > limits.MAX_ATTRIBUTE_NAME_BYTES  # at most 4 bytes a character
                and len(key.encode("utf-8")) > limits.MAX_ATTRIBUTE_NAME_BYTES
            ):
                yield Rule.ATTRIBUTE_NAME, here, _attribute_name_message(len(key.encode("utf-8")))
        if isinstance(value, dict | list):
            if level > limits.MAX_CONTAINER_LEVEL:
                yield Rule.NESTING_DEPTH, here, _NESTING_MESSAGE
                continue
            items = iter(value.items()) if isinstance(value, dict) else enumerate(value)
            text_fields = _TEXT_FIELDS.get(key, ()) if level == 1 and isinstance(value, dict) else ()
            stack.append((items, here, level + 1, text_fields))
        elif isinstance(value, str):
            if not _is_text(value) and not (key in as_text and key in ORDER_ID_ALIASES):
                yield Rule.INVALID_TEXT, here, f"the text {_INVALID_TEXT}"
        elif (
            isinstance(value, int | Decimal | float)
            and not isinstance(value, bool)
            and key not in as_text
            and not limits.storable(value)
        ):
            yield Rule.NUMBER_RANGE, here, f"DynamoDB cannot store this number: {_NUMBER_LIMITS}"


_NESTING_MESSAGE = (
    f"objects and arrays nest deeper than DynamoDB's {limits.MAX_LEVELS} levels here "
    f"(the record's fields are level 1; an object or array may sit at level {limits.MAX_CONTAINER_LEVEL} at most)"
)


def _attribute_name_message(size: int) -> str:
    if size == 0:
        return "an empty key: DynamoDB attribute names need at least one character"
    return f"a key of {size:,} bytes: DynamoDB attribute names are at most {limits.MAX_ATTRIBUTE_NAME_BYTES:,} bytes"
