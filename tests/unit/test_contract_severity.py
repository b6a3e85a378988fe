"""Severity (docs/contracts.md#severity): a rule of severity `warning` lets its record through and reports its
failure apart from the reasons; `error`, the default, quarantines as before. The oracle is the hand-written
contract (tests/unit/handwritten_contract.py): the email-warning contract must find what it finds, with its email
failures moved from the reasons to the warnings."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from services.contract import UnsupportedConstructError, load
from tests.unit import handwritten_contract as oracle
from tests.unit.test_compiled_contract import records

ROOT = Path(__file__).parents[2]
DEFAULT = ROOT / "contracts" / "sales.odcs.yaml"
EMAIL_WARNING = ROOT / "tests" / "data" / "contracts" / "email-warning.odcs.yaml"
WARNED = load(EMAIL_WARNING)
EMAIL = ("contact-info.email", "email")


def _pairs(reasons: Any) -> list[tuple[str, str, str]]:
    return [(r.field, str(r.rule), r.message) for r in reasons]


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_a_warning_rule_moves_its_failures_from_the_reasons_to_the_warnings(record: Any) -> None:
    expected = _pairs(oracle.check(copy.deepcopy(record)).reasons)
    verdict = WARNED.check(copy.deepcopy(record))
    assert _pairs(verdict.reasons) == [r for r in expected if r[:2] != EMAIL]
    assert _pairs(verdict.warnings) == [r for r in expected if r[:2] == EMAIL]
    assert verdict.complete == all(r[:2] == EMAIL for r in expected)
    if verdict.complete:
        assert verdict.record is not None and verdict.order_id is not None


def test_a_record_failing_only_a_warning_rule_is_stored_as_it_came_trimmed() -> None:
    record = {
        "order-info": {"order_id": " 7 ", "item-id": "I", "qty": "3"},
        "contact-info": {"name": "Ann", "email": " a@localhost "},
    }
    verdict = WARNED.check(record)
    assert verdict.complete and verdict.reasons == []
    assert _pairs(verdict.warnings) == [("contact-info.email", "email", "email is not a valid email address")]
    assert verdict.record == {
        "order-info": {"OrderId": "7", "item-id": "I", "qty": 3},
        "contact-info": {"name": "Ann", "email": "a@localhost"},
    }
    record["contact-info"]["email"] = 42  # a wrong type under a warning rule is stored as it came
    verdict = WARNED.check(record)
    assert verdict.complete and verdict.record is not None and verdict.record["contact-info"]["email"] == 42
    assert [w.rule for w in verdict.warnings] == ["email"]


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "v.odcs.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


NAME_RULES = """            logicalType: string
            required: true
            enum: [{value: Ann}, {value: Bob}]
            customProperties:
              - property: acceptWholeNumbers
                value: true
            quality:
              - {id: capitalized, metric: invalidValues, arguments: {pattern: '^[A-Z]'}, mustBe: 0, severity: warning}
              - id: blank
"""


def test_an_error_after_a_failed_warning_still_quarantines(tmp_path):
    """The checks of a value go on past a warning, so an error after it is still found."""
    old = """            logicalType: string
            required: true
            customProperties:
              - property: acceptWholeNumbers
                value: true
            quality:
              - id: blank
"""
    text = DEFAULT.read_text(encoding="utf-8")
    at = text.index("          - name: name\n")
    path = tmp_path / "v.odcs.yaml"
    path.write_text(text[:at] + text[at:].replace(old, NAME_RULES, 1), encoding="utf-8")
    contract = load(path)
    base = {"order-info": {"OrderId": "1", "item-id": "I", "qty": 1}, "contact-info": {"email": "a@b.co"}}
    for name, reasons, warnings in (
        ("Ann", [], []),
        ("ann", ["allowed_values"], ["capitalized"]),  # the warning's failure, then the error's: quarantined
        ("Zed", ["allowed_values"], []),
    ):
        record = copy.deepcopy(base)
        record["contact-info"]["name"] = name
        verdict = contract.check(record)
        assert ([r.rule for r in verdict.reasons], [w.rule for w in verdict.warnings]) == (reasons, warnings), name
        assert verdict.complete == (not reasons)


def test_the_keys_rules_cannot_be_warnings_and_severity_names_the_contract(tmp_path):
    key_warning = _variant(
        tmp_path,
        "severity: error\n                description: The id is not blank",
        "severity: warning\n                description: The id is not blank",
    )
    with pytest.raises(UnsupportedConstructError) as refused:
        load(key_warning)
    assert refused.value.path == "schema[0].properties[0].properties[0].quality[0].severity (order-info.OrderId)"
    # severity is part of what the contract compiles to: the same rules as warnings are another contract
    assert WARNED.digest != load(DEFAULT).digest


ITEM_BLANK = "              - id: blank\n"


@pytest.mark.parametrize(
    "rule",
    [
        # a warning named like a check it does not cover: item-id's type check is named `type`
        "{id: type, metric: invalidValues, arguments: {pattern: '^I'}, mustBe: 0, severity: warning}",
        # a warning with the id of an error rule of the same property (item-id's blank)
        "{id: blank, metric: invalidValues, arguments: {pattern: '^I'}, mustBe: 0, severity: warning}",
    ],
)
def test_a_rule_name_is_a_warning_or_an_error_never_both(tmp_path, rule):
    text = DEFAULT.read_text(encoding="utf-8")
    at = text.index("          - name: item-id\n")
    path = tmp_path / "v.odcs.yaml"
    path.write_text(text[:at] + text[at:].replace(ITEM_BLANK, f"              - {rule}\n" + ITEM_BLANK, 1))
    with pytest.raises(UnsupportedConstructError) as refused:
        load(path)
    assert refused.value.path == "schema[0].properties[0].properties[1].quality (order-info.item-id)"
    assert "give it an id of its own" in refused.value.sentence
