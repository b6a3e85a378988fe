"""An ODCS contract compiled into salesdq's validator: a plan (what each property must be, under which rule name)
and the marshmallow schemas that apply it. docs/contracts.md lists every construct this supports; anything else
that could change a verdict is refused with its path (UnsupportedConstructError), never skipped.

Rule names: a quality rule's `id`; otherwise the check's own stable name (`missing` for `required`, `type` for
`logicalType`, `minimum`, `maximum`, `min_length`, `max_length`, `pattern`, `allowed_values`, and the format's
name, such as `email`). A property-level `invalidValues` rule without arguments names every failure of the
property's logicalType and logicalTypeOptions, so one user-facing rule covers "a positive whole number".

Severity: a quality rule's failure quarantines the record (`error`, the default) or is recorded beside a stored
record (`warning`: Prop.warnings, and the validator notes it and goes on). The schema object's own quality rules
are file-level rules (services/contract/file_rules.py), judged once per run on its counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from open_data_contract_standard.model import (
    CustomProperty,
    DataQuality,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
)

from services.contract import file_rules
from services.contract.errors import UnsupportedConstructError
from services.contract.file_rules import FileRule
from services.domain import json_codec, limits
from services.domain.contract import BUILT_IN_RULES, NUMBER_LIMITS, KeySpec, Rule

VENDOR = "salesdq"
ERROR, WARNING = "error", "warning"
SEVERITIES = (ERROR, WARNING)  # error quarantines the record; warning stores it and records the warning
# RFC 5321 4.5.3.1: a local part holds at most 64 octets, a domain at most 255.
MAX_EMAIL_LOCAL_BYTES = 64
MAX_EMAIL_DOMAIN_BYTES = 255
# ASCII digits only: Arabic-Indic or fullwidth digits are no whole-number notation here (Python's \d takes them)
WHOLE = re.compile(r"^\s*\+?([0-9]+)\s*$")

# Fields of an ODCS property that describe it without changing what a record must be.
_DOC_FIELDS = {
    "id", "name", "physicalType", "physicalName", "description", "businessName", "deprecated", "synonyms",
    "authoritativeDefinitions", "tags", "classification", "encryptedName", "transformSourceObjects",
    "transformLogic", "transformDescription", "examples", "criticalDataElement", "partitioned",
    "partitionKeyPosition", "semanticType", "primaryKeyPosition",
}  # fmt: skip
_SCALAR_TYPES = ("string", "integer", "number", "boolean")
_OPTIONS = {
    "string": ("minLength", "maxLength", "pattern", "format"),
    "integer": ("minimum", "maximum"),
    "number": ("minimum", "maximum"),
    "boolean": (),
    "object": (),
}
_FORMATS = ("email",)
_CUSTOM_PROPERTIES = {"aliases", "acceptWholeNumbers", "acceptDigitText"}
_CUSTOM_CHECKS = ("visibleText",)  # the implementations the salesdq engine offers


@dataclass(frozen=True)
class Prop:
    """What one property must be: the compiled form of an ODCS property. Its digest is the contract's."""

    name: str
    logical_type: str | None = None
    required: bool = False
    type_rule: str = "type"
    missing_values: tuple[str, ...] = ()  # values (once trimmed) that count as absent
    blank_rule: str = "blank"
    whole_numbers: bool = False  # a string property takes a whole JSON number as its digits
    digit_text: bool = False  # an integer property takes ASCII digits as text
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    allowed: tuple[Any, ...] | None = None
    rules: dict[str, str] = field(default_factory=dict)  # check -> rule name, where a quality id names it
    warnings: tuple[str, ...] = ()  # rule names of severity warning: a failure stores the record and is recorded
    visible_rule: str | None = None
    primary_key: bool = False
    aliases: tuple[str, ...] = ()
    properties: tuple[Prop, ...] = ()

    def rule(self, check: str) -> str:
        return self.rules.get(check, self.rules.get("invalid", check))


@dataclass(frozen=True)
class Plan:
    """The compiled contract: its version as the file states it, and what a record must be."""

    version: str
    properties: tuple[Prop, ...]
    file_rules: tuple[FileRule, ...] = ()  # the schema object's quality rules, judged once per run

    def digest(self) -> str:
        """The digest of what the contract compiles to: descriptions and message wording are not in it."""
        built_in = {"revision": BUILT_IN_RULES, "rules": sorted(Rule)}
        compiled: dict[str, Any] = {"built_in": built_in, "properties": [_digestible(p) for p in self.properties]}
        if self.file_rules:  # counted only when used, as severity is: a contract without them keeps its name
            compiled["file_rules"] = [asdict(rule) for rule in self.file_rules]
        text = json_codec.canonical(compiled)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digestible(prop: Prop) -> dict[str, Any]:
    """A property as the digest takes it: a field added since (severity) counts only when it is used, so a
    contract that does not use it keeps the name it had."""
    found = asdict(prop)
    found["properties"] = [_digestible(p) for p in prop.properties]
    if not prop.warnings:
        del found["warnings"]
    return found


# ------------------------------------------------------------------ ODCS -> plan


def plan(model: OpenDataContractStandard) -> Plan:
    objects = model.schema_ or []
    if len(objects) != 1:
        raise UnsupportedConstructError(
            "schema", f"salesdq judges one kind of record; this contract has {len(objects)}"
        )
    record = objects[0]
    where = "schema[0]"
    _refuse_object_extras(record, where)
    properties = tuple(_prop(p, f"{where}.properties[{i}]", depth=1) for i, p in enumerate(record.properties or []))
    keys = [(p, k) for p in properties for k in (p, *p.properties) if k.primary_key]
    if len(keys) != 1:
        raise UnsupportedConstructError(where, f"salesdq needs exactly one primaryKey property; this has {len(keys)}")
    section, key = keys[0]
    if section is key or key.logical_type != "string":
        raise UnsupportedConstructError(
            where, "the primaryKey property must be a string property of an object property of the record"
        )
    rules = []
    for i, rule in enumerate(record.quality or []):
        at = f"{where}.quality[{i}]"
        rules.append(file_rules.compile_rule(rule, at, severity_of(rule, at), (section.name, key.name)))
    return Plan(version=str(model.version), properties=properties, file_rules=tuple(rules))


def _refuse_object_extras(record: SchemaObject, where: str) -> None:
    if record.relationships:
        raise UnsupportedConstructError(f"{where}.relationships", "salesdq does not enforce relationships")
    _custom(record.customProperties, f"{where}.customProperties", allowed=set())


def _prop(prop: SchemaProperty, where: str, depth: int, at: str = "") -> Prop:
    """One property compiled; a refusal names the construct's place in the file and the field it is about."""
    field = f"{at}{prop.name}"
    try:
        return _compile_prop(prop, where, depth, field)
    except UnsupportedConstructError as error:
        if error.path.endswith(")"):  # a nested property named its own field
            raise
        raise UnsupportedConstructError(f"{error.path} ({field})", error.sentence) from None


def _compile_prop(prop: SchemaProperty, where: str, depth: int, field: str) -> Prop:
    data = prop.model_dump(exclude_none=True, by_alias=True)
    for name in sorted(set(data) - _DOC_FIELDS):
        if name not in (
            "logicalType",
            "logicalTypeOptions",
            "required",
            "primaryKey",
            "customProperties",
            "quality",
            "properties",
            "enum",
        ):
            raise UnsupportedConstructError(f"{where}.{name}", f"salesdq does not enforce `{name}` on a property")
    if prop.physicalName is not None and prop.physicalName != prop.name:
        raise UnsupportedConstructError(
            f"{where}.physicalName", "salesdq reads a field by its name; a physicalName other than it is not read"
        )
    kind = prop.logicalType
    if kind is not None and kind not in (*_SCALAR_TYPES, "object"):
        raise UnsupportedConstructError(
            f"{where}.logicalType",
            f"salesdq does not map logicalType `{kind}` to a check (it maps string, integer, "
            "number, boolean and object)",
        )
    result = Prop(
        name=str(prop.name), logical_type=kind, required=bool(prop.required), primary_key=bool(prop.primaryKey)
    )
    options = prop.logicalTypeOptions or {}
    for option in options:
        if option not in _OPTIONS.get(kind or "", ()):
            raise UnsupportedConstructError(
                f"{where}.logicalTypeOptions.{option}", f"salesdq does not enforce `{option}` on a {kind} property"
            )
    fmt = options.get("format")
    if fmt is not None and fmt not in _FORMATS:
        raise UnsupportedConstructError(f"{where}.logicalTypeOptions.format", f"salesdq knows no format `{fmt}`")
    if options.get("pattern") is not None:
        _regex(options["pattern"], f"{where}.logicalTypeOptions.pattern")
    if prop.enum and kind not in ("string", "integer", "number"):
        raise UnsupportedConstructError(f"{where}.enum", "allowed values apply to a string, integer or number property")
    if result.primary_key and not result.required:
        raise UnsupportedConstructError(f"{where}.required", "the primaryKey must be required: orders are stored by it")
    result = replace(
        result,
        min_length=options.get("minLength"),
        max_length=options.get("maxLength"),
        pattern=options.get("pattern"),
        format=fmt,
        minimum=options.get("minimum"),
        maximum=options.get("maximum"),
        allowed=tuple(v.value for v in prop.enum) if prop.enum else None,
    )
    custom = _custom(prop.customProperties, f"{where}.customProperties", allowed=_CUSTOM_PROPERTIES)
    if "aliases" in custom and not result.primary_key:
        raise UnsupportedConstructError(f"{where}.customProperties", "salesdq folds aliases of the primaryKey only")
    if custom.get("acceptWholeNumbers") and (kind != "string" or depth != 2):
        raise UnsupportedConstructError(
            f"{where}.customProperties", "acceptWholeNumbers applies to a string property of an object property"
        )
    if custom.get("acceptDigitText") and kind != "integer":
        raise UnsupportedConstructError(f"{where}.customProperties", "acceptDigitText applies to an integer property")
    aliases = custom.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise UnsupportedConstructError(f"{where}.customProperties", "aliases must be a list of names")
    result = replace(
        result,
        aliases=tuple(aliases),
        whole_numbers=bool(custom.get("acceptWholeNumbers")),
        digit_text=bool(custom.get("acceptDigitText")),
    )
    warned: set[str] = set()  # the checks rules of severity warning name
    for i, rule in enumerate(prop.quality or []):
        result = _quality(result, rule, f"{where}.quality[{i}]")
        if severity_of(rule, f"{where}.quality[{i}]") == WARNING:
            warned |= _covers(rule)
    _one_severity_per_name(result, warned, f"{where}.quality")
    if kind == "object":
        nested = tuple(
            _prop(p, f"{where}.properties[{i}]", depth + 1, f"{field}.") for i, p in enumerate(prop.properties or [])
        )
        if depth > 1 and any(p.primary_key for p in nested):
            raise UnsupportedConstructError(where, "the primaryKey must sit in an object property of the record")
        result = replace(result, properties=nested)
    elif prop.properties:
        raise UnsupportedConstructError(f"{where}.properties", "only an object property has properties")
    return result


def _regex(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise UnsupportedConstructError(
            where, f"the pattern is not a regular expression salesdq reads ({error})"
        ) from None


def _custom(props: list[CustomProperty] | None, where: str, allowed: set[str]) -> dict[str, Any]:
    """salesdq's own custom properties; another vendor's are that tool's business, and left to it."""
    found: dict[str, Any] = {}
    for i, prop in enumerate(props or []):
        if prop.vendor not in (None, VENDOR):
            continue
        if prop.property not in allowed:
            raise UnsupportedConstructError(
                f"{where}[{i}]", f"salesdq has no custom property `{prop.property}` here (give another tool's a vendor)"
            )
        found[str(prop.property)] = prop.value
    return found


def _quality(result: Prop, rule: DataQuality, where: str) -> Prop:
    severity = severity_of(rule, where)
    compiled = _quality_checks(result, rule, where)
    if severity == ERROR:
        return compiled
    if result.primary_key:  # a record is stored under its key: what makes the key cannot let a record through
        raise UnsupportedConstructError(
            f"{where}.severity", "the primaryKey's rules decide the order id a record is stored under: they are errors"
        )
    assert rule.id is not None  # _quality_checks refuses a rule without one
    return replace(compiled, warnings=(*compiled.warnings, rule.id))


def _covers(rule: DataQuality) -> set[str]:
    """The checks a (compiled) property-level quality rule names: `invalid` stands for every check no other
    rule names."""
    if rule.metric == "missingValues":
        return {"blank"}
    arguments = rule.arguments or {}
    return {"allowed_values"} if "validValues" in arguments else {"pattern"} if "pattern" in arguments else {"invalid"}


_NAMED_CHECKS = ("type", "minimum", "maximum", "min_length", "max_length", "pattern", "email", "allowed_values")


def _one_severity_per_name(prop: Prop, warned: set[str], where: str) -> None:
    """A rule name is a warning or an error, never both: a check named like a warning rule (by a rule of the
    same id, or by its own name, `type` say) that the warning does not cover would pass as a warning."""
    active = {
        "type": prop.logical_type is not None,
        "minimum": prop.minimum is not None,
        "maximum": prop.maximum is not None,
        "min_length": prop.min_length is not None,
        "max_length": prop.max_length is not None,
        "pattern": prop.pattern is not None,
        "email": prop.format == "email",
        "allowed_values": prop.allowed is not None,
    }
    for check in _NAMED_CHECKS:
        covered = check in warned or ("invalid" in warned and check not in prop.rules)
        if active[check] and prop.rule(check) in prop.warnings and not covered:
            raise UnsupportedConstructError(
                where,
                f"the warning `{prop.rule(check)}` shares its name with an error check ({check}): "
                "give it an id of its own",
            )
    if prop.missing_values and prop.blank_rule in prop.warnings and "blank" not in warned:
        raise UnsupportedConstructError(
            where,
            f"the warning `{prop.blank_rule}` shares its name with an error rule (blank): give it an id of its own",
        )


def severity_of(rule: DataQuality, where: str) -> str:
    """A quality rule's severity: error (quarantine, the default when none is given) or warning (store, record)."""
    if rule.severity is None:
        return ERROR
    if rule.severity not in SEVERITIES:
        raise UnsupportedConstructError(
            f"{where}.severity",
            f"salesdq enforces severity `error` (quarantine) or `warning` (store and record); this rule has "
            f"`{rule.severity}`",
        )
    return rule.severity


def _quality_checks(result: Prop, rule: DataQuality, where: str) -> Prop:
    kind = rule.type or "library"
    if not rule.id:
        raise UnsupportedConstructError(f"{where}.id", "salesdq names a failure by its quality rule's id; give it one")
    if kind == "sql":
        raise UnsupportedConstructError(f"{where}.query", "salesdq runs no SQL: a record is judged on its own")
    if kind == "text":
        raise UnsupportedConstructError(where, "a text quality rule is prose: salesdq cannot enforce it")
    if kind == "custom":
        if rule.engine != VENDOR or rule.implementation not in _CUSTOM_CHECKS:
            raise UnsupportedConstructError(
                f"{where}.engine", f"salesdq runs no `{rule.engine}` checks (only engine salesdq: visibleText)"
            )
        if not result.primary_key:
            raise UnsupportedConstructError(where, "visibleText applies to the primaryKey")
        return replace(result, visible_rule=rule.id)
    operators = {k: v for k, v in rule.model_dump(exclude_none=True).items() if k.startswith("must")}
    if operators != {"mustBe": 0}:
        raise UnsupportedConstructError(
            where, "salesdq judges each record, so a property's rule must allow no failing value (mustBe: 0)"
        )
    arguments = rule.arguments or {}
    texts, values_of = ("string",), ("string", "integer", "number")
    if rule.metric == "missingValues" and result.logical_type not in texts:
        raise UnsupportedConstructError(where, "salesdq counts missingValues of a string property only")
    if rule.metric == "missingValues":
        values = arguments.get("missingValues")
        if set(arguments) != {"missingValues"} or not isinstance(values, list):
            raise UnsupportedConstructError(f"{where}.arguments", "missingValues needs arguments.missingValues, a list")
        return replace(result, missing_values=tuple(str(v) for v in values if v is not None), blank_rule=rule.id)
    if rule.metric == "invalidValues":
        if not arguments:
            return replace(result, rules={**result.rules, "invalid": rule.id})
        if set(arguments) == {"validValues"} and isinstance(arguments["validValues"], list):
            if result.logical_type not in values_of or result.allowed is not None:
                raise UnsupportedConstructError(
                    f"{where}.arguments", "validValues applies once to a string, integer or number property"
                )
            return replace(
                result, allowed=tuple(arguments["validValues"]), rules={**result.rules, "allowed_values": rule.id}
            )
        if set(arguments) == {"pattern"} and isinstance(arguments["pattern"], str):
            if result.logical_type not in texts or result.pattern is not None:
                raise UnsupportedConstructError(f"{where}.arguments", "a pattern applies once to a string property")
            _regex(arguments["pattern"], f"{where}.arguments.pattern")
            return replace(result, pattern=arguments["pattern"], rules={**result.rules, "pattern": rule.id})
        raise UnsupportedConstructError(f"{where}.arguments", "invalidValues takes validValues or pattern, or nothing")
    raise UnsupportedConstructError(
        f"{where}.metric",
        f"salesdq does not enforce metric `{rule.metric}` on a property (missingValues, invalidValues)",
    )


# ------------------------------------------------------------------ plan -> marshmallow


@dataclass(frozen=True)
class Failure:
    """What a field validator raises inside marshmallow's ValidationError: the rule travels with the message, and
    whether it is a warning (the record is stored, the failure recorded) or an error (it is quarantined)."""

    rule: str
    message: str
    warning: bool = False


def fail(rule: str, message: str) -> ValidationError:
    return ValidationError([Failure(rule, message)])


class _Raw(fields.Raw):
    """A field whose own errors (absent, null) are Failures of rule `missing`, like its validators'."""

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        if key in ("required", "null"):
            return fail(Rule.MISSING, "is required")
        return super().make_error(key, **kwargs)


def _integer_words(prop: Prop) -> str:
    low, high = prop.minimum, prop.maximum
    if high is None:
        return (
            "a positive whole number"
            if low == 1
            else ("a whole number" if low is None else f"a whole number of at least {low}")
        )
    return f"a whole number of at most {high}" if low is None else f"a whole number from {low} to {high}"


_Note = Callable[[str, str], None]  # called with a failed check's rule and message


def _raise(rule: str, message: str) -> None:
    raise fail(rule, message)


class _Found:
    """The failures of one value: the first error raises (its one reason, as before severities); a warning is
    noted and the checks go on, so an error after it still quarantines the record."""

    def __init__(self, warnings: tuple[str, ...]) -> None:
        self.warnings = warnings
        self.noted: list[Failure] = []

    def __call__(self, rule: str, message: str) -> None:
        if rule in self.warnings:
            self.noted.append(Failure(rule, message, warning=True))
            return
        raise ValidationError([*self.noted, Failure(rule, message)])

    def done(self) -> None:
        if self.noted:
            raise ValidationError(list(self.noted))


def validator(prop: Prop) -> Callable[[Any], None]:
    """The checks of one scalar property, in order; the first error that fails is its one reason, and the warnings
    that failed before it are noted beside it."""
    kind = prop.logical_type
    pattern = re.compile(prop.pattern) if prop.pattern else None
    allowed = prop.allowed

    def text_checks(text: str, note: _Note = _raise) -> None:
        if text in prop.missing_values:
            note(prop.blank_rule, "must not be blank")
        if prop.min_length is not None and len(text) < prop.min_length:
            note(prop.rule("min_length"), f"must be at least {prop.min_length} characters")
        if prop.max_length is not None and len(text) > prop.max_length:
            note(prop.rule("max_length"), f"must be at most {prop.max_length} characters")
        if pattern is not None and not pattern.search(text):
            note(prop.rule("pattern"), f"must match {prop.pattern}")
        if prop.format == "email" and (failed := _email(text)) is not None:
            note(prop.rule("email"), failed)
        if allowed is not None and text not in allowed:
            note(prop.rule("allowed_values"), f"must be one of {', '.join(map(str, allowed))}")

    def check_string(value: Any, note: _Note = _raise) -> None:
        if isinstance(value, str):
            text = value
        elif prop.whole_numbers and isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        else:
            note(prop.rule("type"), "must be a string")
            return
        text_checks(text.strip(), note)

    words = "must be " + _integer_words(prop)

    def bounds(number: int | Decimal | float, whole: bool, note: _Note) -> None:
        if prop.minimum is not None and number < prop.minimum:
            note(
                prop.rule("minimum"), words if whole and "invalid" in prop.rules else f"must be at least {prop.minimum}"
            )
        elif prop.maximum is not None and number > prop.maximum:
            note(
                prop.rule("maximum"), words if whole and "invalid" in prop.rules else f"must be at most {prop.maximum}"
            )
        if allowed is not None and number not in allowed:
            note(prop.rule("allowed_values"), f"must be one of {', '.join(map(str, allowed))}")

    def check_integer(value: Any, note: _Note = _raise) -> None:
        type_message = words if "invalid" in prop.rules else "must be a whole number"
        if isinstance(value, int) and not isinstance(value, bool):
            bounds(value, True, note)
            return
        match = WHOLE.match(value) if prop.digit_text and isinstance(value, str) else None
        if match is None:
            note(prop.rule("type"), type_message)
            return
        digits = match.group(1).lstrip("0")
        # a text integer is stored as a number, so it must be one DynamoDB can hold
        if len(digits) > limits.MAX_EXPONENT + 1 or len(digits.rstrip("0")) > limits.MAX_NUMBER_DIGITS:
            raise fail(Rule.NUMBER_RANGE, f"is stored as a number, and DynamoDB cannot hold this one: {NUMBER_LIMITS}")
        bounds(int(digits or "0"), True, note)

    def check_number(value: Any, note: _Note = _raise) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            note(prop.rule("type"), "must be a number")
            return
        bounds(value, False, note)

    def check_boolean(value: Any, note: _Note = _raise) -> None:
        if not isinstance(value, bool):
            note(prop.rule("type"), "must be true or false")

    checks = {"string": check_string, "integer": check_integer, "number": check_number, "boolean": check_boolean}
    check = checks.get(kind or "")
    if check is None:
        return lambda _value: None
    warnings = prop.warnings
    if not warnings:  # the hot path of a contract of errors only: the first failure raises (note's default)
        return check

    def run(value: Any) -> None:
        found = _Found(warnings)
        check(value, found)
        found.done()

    return run


def _email(address: str) -> str | None:
    """Why the text is no address an order can have, or None."""
    try:
        validate.Email()(address)
    except ValidationError:
        return "is not a valid email address"
    local, _at, domain = address.rpartition("@")
    if "." not in domain:  # marshmallow takes a@localhost; an order needs a real domain
        return "is not a valid email address"
    for part, size, limit in (
        ("local part", len(local.encode("utf-8")), MAX_EMAIL_LOCAL_BYTES),
        ("domain", len(domain.encode("utf-8")), MAX_EMAIL_DOMAIN_BYTES),
    ):
        if size > limit:  # marshmallow does not measure them
            return f"has a {part} of {size:,} bytes; an address allows at most {limit} (RFC 5321)"
    return None


def object_schema(props: Sequence[Prop]) -> Schema:
    """A marshmallow schema for an object's scalar properties (the primary key is judged apart: see KeySpec).
    Fields the contract does not name are never judged (EXCLUDE: the schema only finds errors; the stored
    record is the record's own, normalized, with every field it has)."""
    declared: dict[str, fields.Field[Any]] = {}
    for i, prop in enumerate(props):
        if prop.primary_key:
            continue
        declared[f"f{i}"] = _Raw(required=prop.required, data_key=prop.name, validate=validator(prop))
    return Schema.from_dict(declared, name="CompiledObject")(unknown=EXCLUDE)


def key_prop(properties: Sequence[Prop]) -> Prop:
    return next(prop for section in properties for prop in section.properties if prop.primary_key)


def key_spec(properties: Sequence[Prop]) -> KeySpec:
    for section in properties:
        for prop in section.properties:
            if prop.primary_key:
                return KeySpec(
                    section=section.name,
                    name=prop.name,
                    aliases=(prop.name, *prop.aliases),
                    blank_rule=prop.blank_rule,
                    visible_rule=prop.visible_rule,
                    whole_numbers=prop.whole_numbers,
                    type_rule=prop.rule("type"),
                )
    raise AssertionError("plan() checks there is one primary key")


def text_fields(properties: Sequence[Prop]) -> dict[str, tuple[str, ...]]:
    """Per object property, the fields stored as text whatever they hold (exempt from DynamoDB's number rule)."""
    found: dict[str, tuple[str, ...]] = {}
    for section in properties:
        names = [(p.name, *p.aliases) for p in section.properties if p.logical_type == "string" and p.whole_numbers]
        if names:
            found[section.name] = tuple(n for group in names for n in group)
    return found
