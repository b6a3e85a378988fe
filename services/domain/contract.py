"""The validation contract users see (docs/validation.md mirrors it rule by rule).

A record is complete when it has `order-info` and `contact-info` objects with an order id, a non-blank
`item-id`, a positive whole `qty`, a non-blank `name` and a valid `email`. Order id aliases normalize to
`OrderId`; unknown fields are kept and never the reason for rejection.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

ORDER_ID = "OrderId"
ORDER_ID_ALIASES = ("OrderId", "orderId", "order-id", "order_id")
ORDER_INFO = "order-info"
CONTACT_INFO = "contact-info"


class Rule(StrEnum):
    """Rule names: the vocabulary of reasons, DLQ messages and reports. A failure carries its rule as data
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
    PROCESSING_FAILED = "processing_failed"


_JSON_TYPE_NAMES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array"}
_WHOLE = re.compile(r"^\s*\+?(\d+)\s*$")


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
    distinct = {text.strip() for text in texts.values() if text is not None}
    if len(distinct) > 1:
        names = ", ".join(sorted(present))
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.AMBIGUOUS, f"different order ids in {names}")
    order_id = distinct.pop()
    if not order_id:
        return None, Reason(f"{ORDER_INFO}.{ORDER_ID}", Rule.BLANK, "the order id is blank")
    return order_id, None


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
    if isinstance(value, bool):
        raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (match := _WHOLE.match(value)):
        number = int(match.group(1))
    else:
        raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")
    if number < 1:
        raise _fail(Rule.POSITIVE_WHOLE, "must be a positive whole number")


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
        try:
            validate.Email()(value.strip())
        except ValidationError as error:
            raise ValidationError([Failure(Rule.EMAIL, "is not a valid email address")], "email") from error


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


def check(record: Any) -> Verdict:
    """Apply the contract to one record."""
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
    reasons += _section_reasons(_ORDER_INFO, ORDER_INFO, record.get(ORDER_INFO))
    reasons += _section_reasons(_CONTACT_INFO, CONTACT_INFO, record.get(CONTACT_INFO))
    if reasons:
        return Verdict(order_id, reasons=reasons)
    return Verdict(order_id, record=normalize(record, order_id))


def normalize(record: dict[str, Any], order_id: str | None) -> dict[str, Any]:
    """The stored shape: aliases folded into OrderId, qty an int, strings trimmed; unknown fields kept."""
    order_info = {k: v for k, v in record[ORDER_INFO].items() if k not in ORDER_ID_ALIASES}
    order_info = {ORDER_ID: order_id, **order_info}
    qty = order_info["qty"]
    order_info["qty"] = qty if isinstance(qty, int) else int(str(qty).strip().lstrip("+"))
    order_info["item-id"] = str(order_info["item-id"]).strip()
    contact = dict(record[CONTACT_INFO])
    contact["name"] = str(contact["name"]).strip()
    contact["email"] = str(contact["email"]).strip()
    return {**record, ORDER_INFO: order_info, CONTACT_INFO: contact}


def content_hash(record: Any) -> str:
    """Identical content <=> identical hash, whatever the key order or whitespace of the source."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
