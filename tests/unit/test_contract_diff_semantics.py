"""`contract diff`'s classes mean what they say about records: between two contracts whose changes are all
`relaxing`, every record the old one stores the new one stores too; when all are `breaking` (narrowing), every
record the new one stores the old one stored. Held on generated variants of the default contract and generated
records, so the classification is tied to the compiled verdicts rather than to a list of cases."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdq.operators.contract import BREAKING, DOC, RELAXING, diff
from services.contract import CompiledContract, default
from services.contract.compiler import Plan, Prop

BASE = default()


def _with(plan: Plan, changes: dict[str, dict[str, Any]]) -> CompiledContract:
    """The plan with some fields' properties replaced: {"qty": {"maximum": 100}}."""

    def changed(prop: Prop) -> Prop:
        inner = tuple(changed(p) for p in prop.properties)
        return replace(prop, properties=inner, **changes.get(prop.name, {}))

    return CompiledContract(replace(plan, properties=tuple(changed(p) for p in plan.properties)), "variant")


# each field's settings a variant may take: a variant is the default contract with a few of them
_SETTINGS: dict[str, dict[str, list[Any]]] = {
    "qty": {
        "minimum": [None, 0, 1, 2, 5],
        "maximum": [None, 3, 100],
        "required": [True, False],
        "digit_text": [True, False],
        "warnings": [(), ("positive_whole",)],  # severity: a warning stores what it finds
    },
    "item-id": {
        "required": [True, False],
        "whole_numbers": [True, False],
        "max_length": [None, 2, 10],
        "missing_values": [(), ("",), ("", "I1")],
    },
    "email": {"format": [None, "email"], "warnings": [(), ("email",)]},
    "name": {"allowed": [None, ("Ann",), ("Ann", "Bo")], "min_length": [None, 2]},
}
_CHOICES = [(field, name) for field, names in _SETTINGS.items() for name in names]


@st.composite
def variants(draw: st.DrawFn, base: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    spec = {field: dict(names) for field, names in (base or {}).items()}
    for field, name in draw(st.lists(st.sampled_from(_CHOICES), min_size=1, max_size=2, unique=True)):
        spec.setdefault(field, {})[name] = draw(st.sampled_from(_SETTINGS[field][name]))
    return spec


_ABSENT = object()
_VALUES = {
    "qty": [-1, 0, 1, 2, 3, 4, 5, 50, 100, 101, "7", " +3 ", "abc", 2.5, True, None, _ABSENT],
    "item-id": ["I1", "I22", "a-long-item", 12, "", " ", None, _ABSENT],
    "email": ["a@example.com", "a@localhost", "not an address", "", None, _ABSENT],
    "name": ["Ann", "Bo", "A", "", 7, None, _ABSENT],
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A complete record with one or two of its judged fields drawn from values each variant judges apart."""
    record: dict[str, Any] = {
        "order-info": {"OrderId": "1", "item-id": "I1", "qty": 2},
        "contact-info": {"name": "Ann", "email": "a@example.com"},
    }
    for field in draw(st.lists(st.sampled_from(sorted(_VALUES)), min_size=1, max_size=2, unique=True)):
        section = record["order-info"] if field in ("qty", "item-id") else record["contact-info"]
        value = draw(st.sampled_from(_VALUES[field]))
        if value is _ABSENT:
            del section[field]
        else:
            section[field] = value
    return record


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.lists(records(), min_size=8, max_size=8))
def test_relaxing_changes_store_every_record_stored_before_and_breaking_ones_store_no_new_one(data, recs):
    old_spec = data.draw(variants())
    new_spec = data.draw(variants(old_spec))  # the old one with one or two settings changed
    old, new = _with(BASE.plan, old_spec), _with(BASE.plan, new_spec)
    kinds = {change.kind for change in diff(old, new)} - {DOC}
    for record in recs:
        before, after = old.check(record).complete, new.check(record).complete
        if kinds == {RELAXING}:
            assert after or not before, (diff(old, new), record)
        if kinds == {BREAKING}:
            assert before or not after, (diff(old, new), record)
        if not kinds:
            assert before == after, record


def _one_field_records() -> list[dict[str, Any]]:
    """The complete record, and each judged field of it replaced by each of its values (or removed)."""
    found = []
    for field, values in _VALUES.items():
        for value in values:
            record: dict[str, Any] = {
                "order-info": {"OrderId": "1", "item-id": "I1", "qty": 2},
                "contact-info": {"name": "Ann", "email": "a@example.com"},
            }
            section = record["order-info"] if field in ("qty", "item-id") else record["contact-info"]
            if value is _ABSENT:
                del section[field]
            else:
                section[field] = value
            found.append(record)
    return found


def test_every_single_setting_change_is_classified_as_it_moves_verdicts():
    """Each setting changed alone, from each of its values to each other, on every one-field record: the class
    `diff` gives it must hold of the verdicts, and a breaking or relaxing change must move at least one."""
    recs = _one_field_records()
    for field, names in _SETTINGS.items():
        for name, values in names.items():
            for old_value in values:
                for new_value in values:
                    if old_value == new_value:
                        continue
                    old = _with(BASE.plan, {field: {name: old_value}})
                    new = _with(BASE.plan, {field: {name: new_value}})
                    kinds = {change.kind for change in diff(old, new)} - {DOC}
                    assert len(kinds) == 1, (field, name, old_value, new_value, kinds)
                    moved = [(old.check(r).complete, new.check(r).complete) for r in recs]
                    assert (False, True) in moved or (True, False) in moved, (field, name, old_value, new_value)
                    if kinds == {RELAXING}:
                        assert (True, False) not in moved, (field, name, old_value, new_value)
                    else:
                        assert (False, True) not in moved, (field, name, old_value, new_value)
