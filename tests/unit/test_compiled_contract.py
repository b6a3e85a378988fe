"""The default contract (contracts/sales.odcs.yaml), compiled, judges every record as the hand-written contract did:
the same verdict, order id, stored record and reasons (field, rule and message), on generated records, valid and
each kind of invalid. The oracle is tests/unit/handwritten_contract.py, frozen at contract version 2."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import contract as compiled_contract
from tests.unit import handwritten_contract as oracle
from tests.unit.test_contract_version import probes

COMPILED = compiled_contract.default()

_texts = st.sampled_from(
    [
        "",
        " ",
        "  \t",
        "A1",
        " I-9 ",
        "café",
        "cafe\u0301",
        "a\u200bb",
        "a\x00",
        "\n7\n",
        "x" * 300,
        "٣",
        "\uff11\uff12",
        "\ud800",
    ]
)
_numbers = st.one_of(
    st.integers(min_value=-3, max_value=5),
    st.sampled_from([10**40, 10**200, 1.5, 3.0, Decimal("1E+200"), Decimal("2"), Decimal("0.5"), float("1e3")]),
)
_digit_texts = st.sampled_from(["2", " +3 ", "0", "000", "-1", "1e3", "abc", "1" + "0" * 39, "0" * 50 + "7", "+", ""])
_emails = st.sampled_from(
    [
        "a@b.co",
        " a@b.co ",
        "a@localhost",
        "a@",
        "@b.c",
        "a b@c.de",
        "a" * 64 + "@b.co",
        "a" * 65 + "@b.co",
        "a@" + ".".join(["d" * 60] * 4) + ".com",
        "a@dd." + ".".join(["d" * 60] * 4) + ".com",
        "é@b.co",
        "a@b.c\u200b",
    ]
)
_odd = st.one_of(st.none(), st.booleans(), st.just([1]), st.just({"x": 1}), _numbers)
_value = st.one_of(_texts, _numbers, _odd, _digit_texts, _emails)
_absent = object()


def _maybe(strategy: st.SearchStrategy[Any], usual: Any) -> st.SearchStrategy[Any]:
    """Mostly the usual valid value, else anything (or absent), so that records fail one or a few rules."""
    return st.one_of(st.just(usual), st.just(usual), strategy, _value, st.just(_absent))


@st.composite
def records(draw: st.DrawFn) -> Any:
    order: dict[str, Any] = {}
    aliases = draw(st.lists(st.sampled_from(oracle.ORDER_ID_ALIASES), max_size=3, unique=True))
    for alias in aliases or ["order_id"]:
        long_ids = st.sampled_from(["x" * 1024, "x" * 1025, "é" * 512, "é" * 513])
        value = draw(_maybe(st.one_of(_texts, long_ids, st.integers(-2, 10**6), _digit_texts), "7"))
        if value is not _absent:
            order[alias] = value
    for name, strategy, usual in (("item-id", _texts, "I1"), ("qty", st.one_of(_numbers, _digit_texts), 2)):
        value = draw(_maybe(strategy, usual))
        if value is not _absent:
            order[name] = value
    contact: dict[str, Any] = {}
    for name, strategy, usual in (("name", _texts, "Ann"), ("email", _emails, "a@example.com")):
        value = draw(_maybe(strategy, usual))
        if value is not _absent:
            contact[name] = value
    if draw(st.booleans()):
        order["item-desc"] = draw(_value)
    record: dict[str, Any] = {"order-info": order, "contact-info": contact}
    for section in ("order-info", "contact-info"):
        shape = draw(st.sampled_from(["object"] * 6 + ["absent", "null", "text", "list"]))
        if shape == "absent":
            del record[section]
        elif shape != "object":
            record[section] = {"null": None, "text": "not an object", "list": [1]}[shape]
    extra = draw(st.sampled_from(["none"] * 5 + ["reserved", "number", "surrogate", "empty key", "deep", "many"]))
    if extra == "reserved":
        record[draw(st.sampled_from([*oracle.RESERVED_FIELDS, "_other"]))] = "1"
    elif extra == "number":
        record["extra"] = {"n": Decimal("1E+200")}
    elif extra == "surrogate":
        record["extra"] = "\ud800"
    elif extra == "empty key":
        record[""] = 1
    elif extra == "deep":
        deep: Any = 1
        for _ in range(draw(st.integers(29, 33))):
            deep = {"d": deep}
        record["extra"] = deep
    elif extra == "many":
        record["values"] = [10**200] * draw(st.integers(1, 8))
    kind = draw(st.sampled_from(["record"] * 12 + ["null", "number", "text", "list"]))
    return {"null": None, "number": 7, "text": "text", "list": [record]}.get(kind, record)


def _judged(judge: Any, record: Any, duplicate_keys: tuple[str, ...], unreadable: str | None) -> Any:
    verdict = judge(copy.deepcopy(record), duplicate_keys=duplicate_keys, unreadable=unreadable)
    reasons = [(r.field, str(r.rule), r.message) for r in verdict.reasons]
    return verdict.complete, verdict.order_id, verdict.record, reasons


def assert_same(record: Any, duplicate_keys: tuple[str, ...] = (), unreadable: str | None = None) -> None:
    expected = _judged(oracle.check, record, duplicate_keys, unreadable)
    assert _judged(COMPILED.check, record, duplicate_keys, unreadable) == expected, record


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records(), st.sampled_from([(), ("order-info.qty",), ("a", "b", "c", "d", "e", "f")]))
def test_the_compiled_default_contract_judges_as_the_handwritten_one(record: Any, duplicates: tuple[str, ...]) -> None:
    assert_same(record, duplicates)


def test_the_generator_reaches_every_verdict_kind() -> None:
    """The property above is only as good as its records: they must break every rule a record can break."""
    seen: set[str] = set()

    @settings(
        max_examples=1500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(records())
    def collect(record: Any) -> None:
        verdict = oracle.check(record)
        seen.update(str(r.rule) for r in verdict.reasons)
        seen.add("complete" if verdict.complete else "incomplete")

    collect()
    validator_only = {"conflict", "oversize", "processing_failed", "unreadable", "duplicate_key"}
    assert seen >= {str(rule) for rule in oracle.Rule} - validator_only | {"complete", "incomplete"}


def test_the_contract_version_probes_are_judged_alike() -> None:
    for record, findings in probes():
        assert_same(record, findings.duplicate_keys, findings.unreadable)
