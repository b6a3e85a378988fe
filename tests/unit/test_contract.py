"""The validation contract (docs/validation.md), rule by rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from services.domain import contract
from services.domain.contract import check, content_hash, extract_order_id


def record(order: dict[str, Any] | None = None, contact: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    order_info = {"OrderId": "A-1", "item-id": "SKU-1", "qty": 4}
    contact_info = {"name": "Ada", "email": "ada@example.com"}
    order_info.update(order or {})
    contact_info.update(contact or {})
    return {"order-info": order_info, "contact-info": contact_info, **top}


def without(rec: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    rec = copy.deepcopy(rec)
    del rec[section][name]
    return rec


def rules(verdict: contract.Verdict) -> list[tuple[str, str]]:
    return [(r.field, r.rule) for r in verdict.reasons]


def assert_well_formed(verdict: contract.Verdict) -> None:
    for reason in verdict.reasons:
        as_dict = reason.as_dict()
        assert set(as_dict) == {"field", "rule", "message"}
        assert all(isinstance(v, str) and v.strip() for v in as_dict.values()), as_dict


# ------------------------------------------------------------------ complete records


def test_complete_record_is_normalized_and_has_no_reasons():
    verdict = check(record())
    assert verdict.complete
    assert verdict.reasons == []
    assert verdict.order_id == "A-1"
    assert verdict.record == {
        "order-info": {"OrderId": "A-1", "item-id": "SKU-1", "qty": 4},
        "contact-info": {"name": "Ada", "email": "ada@example.com"},
    }


def test_check_does_not_mutate_its_input():
    rec = record(order={"order_id": " A-1 ", "qty": " 7 "}, contact={"name": " Ada "})
    del rec["order-info"]["OrderId"]
    before = copy.deepcopy(rec)
    assert check(rec).complete
    assert rec == before


@pytest.mark.parametrize("alias", ["OrderId", "orderId", "order-id", "order_id"])
def test_order_id_aliases_normalize_to_order_id(alias):
    rec = record()
    del rec["order-info"]["OrderId"]
    rec["order-info"][alias] = "X-9"
    verdict = check(rec)
    assert verdict.complete, verdict.reasons
    assert verdict.order_id == "X-9"
    order_info = verdict.record["order-info"]
    assert order_info["OrderId"] == "X-9"
    assert [k for k in order_info if k in contract.ORDER_ID_ALIASES] == ["OrderId"]


def test_agreeing_aliases_are_one_order_id():
    verdict = check(record(order={"orderId": "A-1", "order_id": " A-1 "}))
    assert verdict.complete
    assert verdict.order_id == "A-1"
    assert set(verdict.record["order-info"]) == {"OrderId", "item-id", "qty"}


def test_conflicting_aliases_are_ambiguous():
    verdict = check(record(order={"orderId": "B-2"}))
    assert not verdict.complete
    assert verdict.order_id is None
    assert ("order-info.OrderId", contract.Rule.AMBIGUOUS) in rules(verdict)
    message = next(r.message for r in verdict.reasons if r.rule == contract.Rule.AMBIGUOUS)
    assert "OrderId" in message and "orderId" in message
    assert_well_formed(verdict)


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_order_id_is_rejected(blank):
    verdict = check(record(order={"OrderId": blank}))
    assert rules(verdict) == [("order-info.OrderId", contract.Rule.BLANK)]
    assert verdict.order_id is None
    assert verdict.record is None


def test_order_id_is_trimmed():
    verdict = check(record(order={"OrderId": "  A-7 "}))
    assert verdict.order_id == "A-7"
    assert verdict.record["order-info"]["OrderId"] == "A-7"


def test_integer_order_id_is_accepted_as_text():
    verdict = check(record(order={"OrderId": 12}))
    assert verdict.complete
    assert verdict.order_id == "12"
    assert verdict.record["order-info"]["OrderId"] == "12"


@pytest.mark.parametrize("bad", [True, False, 1.5, 2.0, None, [], {}])
def test_non_text_non_integer_order_ids_are_rejected(bad):
    verdict = check(record(order={"OrderId": bad}))
    assert rules(verdict) == [("order-info.OrderId", contract.Rule.TYPE)]
    assert verdict.order_id is None
    assert_well_formed(verdict)


def test_missing_order_id():
    verdict = check(without(record(), "order-info", "OrderId"))
    assert rules(verdict) == [("order-info.OrderId", contract.Rule.MISSING)]
    assert_well_formed(verdict)


# ------------------------------------------------------------------ item-id, qty, name, email


@pytest.mark.parametrize(("value", "rule"), [("", "blank"), ("  ", "blank"), (True, "type"), ([1], "type")])
def test_item_id_must_be_non_blank_text(value, rule):
    verdict = check(record(order={"item-id": value}))
    assert rules(verdict) == [("order-info.item-id", rule)]
    assert verdict.order_id == "A-1"  # the id is known even when the record is not complete
    assert_well_formed(verdict)


def test_item_id_missing_and_trimmed():
    assert rules(check(without(record(), "order-info", "item-id"))) == [("order-info.item-id", "missing")]
    assert rules(check(record(order={"item-id": None}))) == [("order-info.item-id", "missing")]
    assert check(record(order={"item-id": " S "})).record["order-info"]["item-id"] == "S"
    assert check(record(order={"item-id": 55})).record["order-info"]["item-id"] == "55"


@pytest.mark.parametrize(("value", "stored"), [(4, 4), ("4", 4), (" 7 ", 7), ("+3", 3), (1, 1), (10**12, 10**12)])
def test_qty_positive_whole_is_accepted_and_normalized_to_int(value, stored):
    verdict = check(record(order={"qty": value}))
    assert verdict.complete, verdict.reasons
    assert verdict.record["order-info"]["qty"] == stored
    assert type(verdict.record["order-info"]["qty"]) is int


@pytest.mark.parametrize("value", [0, -1, 2.5, "abc", True, False, "2.5", "0", "-1", "", "   ", [4], {"n": 4}, 4.0])
def test_qty_not_positive_whole_is_rejected(value):
    verdict = check(record(order={"qty": value}))
    assert rules(verdict) == [("order-info.qty", contract.Rule.POSITIVE_WHOLE)]
    assert verdict.reasons[0].message == "qty must be a positive whole number"
    assert verdict.record is None


def test_qty_missing_or_null():
    assert rules(check(without(record(), "order-info", "qty"))) == [("order-info.qty", "missing")]
    assert rules(check(record(order={"qty": None}))) == [("order-info.qty", "missing")]


@pytest.mark.parametrize(("value", "rule"), [("", "blank"), ("   ", "blank"), (True, "type"), (["x"], "type")])
def test_name_must_be_non_blank(value, rule):
    verdict = check(record(contact={"name": value}))
    assert rules(verdict) == [("contact-info.name", rule)]
    assert_well_formed(verdict)


def test_name_missing_and_trimmed():
    assert rules(check(without(record(), "contact-info", "name"))) == [("contact-info.name", "missing")]
    assert check(record(contact={"name": "  Ada  "})).record["contact-info"]["name"] == "Ada"


@pytest.mark.parametrize("email", ["ada@example.com", "a.b+c@sub.example.org", "  ada@example.com  "])
def test_valid_emails(email):
    verdict = check(record(contact={"email": email}))
    assert verdict.complete, verdict.reasons
    assert verdict.record["contact-info"]["email"] == email.strip()


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@@x.com"])
def test_invalid_emails(email):
    verdict = check(record(contact={"email": email}))
    assert rules(verdict) == [("contact-info.email", contract.Rule.EMAIL)]
    assert verdict.reasons[0].message == "email is not a valid email address"


@pytest.mark.parametrize("email", [5, True, ["ada@example.com"], {"a": 1}])
def test_non_string_email(email):
    verdict = check(record(contact={"email": email}))
    assert rules(verdict) == [("contact-info.email", contract.Rule.EMAIL)]
    assert verdict.reasons[0].message == "email must be a string"


def test_missing_email():
    for rec in (without(record(), "contact-info", "email"), record(contact={"email": None})):
        verdict = check(rec)
        assert rules(verdict) == [("contact-info.email", contract.Rule.MISSING)]
        assert verdict.reasons[0].message == "email is required"


def test_item_desc_is_optional_and_kept():
    assert check(record()).complete
    verdict = check(record(order={"item-desc": "blue widget"}))
    assert verdict.complete
    assert verdict.record["order-info"]["item-desc"] == "blue widget"
    # optional means not validated either: an odd value is still not a reason
    assert check(record(order={"item-desc": None})).complete


def test_unknown_fields_are_kept_at_every_level():
    rec = record(
        order={"colour": "red", "nested": {"a": [1, 2]}},
        contact={"phone": "+44 1", "vip": True},
        source="shop-7",
        extra={"k": None},
    )
    verdict = check(rec)
    assert verdict.complete, verdict.reasons
    out = verdict.record
    assert out["source"] == "shop-7"
    assert out["extra"] == {"k": None}
    assert out["order-info"]["colour"] == "red"
    assert out["order-info"]["nested"] == {"a": [1, 2]}
    assert out["contact-info"]["phone"] == "+44 1"
    assert out["contact-info"]["vip"] is True


def test_unknown_fields_never_cause_rejection_even_when_odd():
    rec = record(order={"qty ": "abc", "ITEM-ID": ""}, contact={"Email": "nope"})
    assert check(rec).complete


def test_every_failure_is_reported_at_once():
    rec = {"order-info": {"orderId": " "}, "contact-info": {"email": "x"}}
    verdict = check(rec)
    assert sorted(rules(verdict)) == sorted(
        [
            ("order-info.OrderId", "blank"),
            ("order-info.item-id", "missing"),
            ("order-info.qty", "missing"),
            ("contact-info.name", "missing"),
            ("contact-info.email", "email"),
        ]
    )
    assert_well_formed(verdict)


# ------------------------------------------------------------------ record and section shapes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "the record is null"),
        (5, "the record is a number, not an object"),
        (2.5, "the record is a number, not an object"),
        ("text", "the record is a string, not an object"),
        ([1, 2], "the record is an array, not an object"),
        (True, "the record is a boolean, not an object"),
    ],
)
def test_non_object_records(value, message):
    verdict = check(value)
    assert verdict.order_id is None
    assert verdict.record is None
    assert [r.as_dict() for r in verdict.reasons] == [{"field": "$", "rule": "not_object", "message": message}]


@pytest.mark.parametrize("section", ["order-info", "contact-info"])
def test_missing_section(section):
    rec = record()
    del rec[section]
    verdict = check(rec)
    assert (section, contract.Rule.MISSING) in rules(verdict)
    assert f"{section} is required" in [r.message for r in verdict.reasons]
    assert_well_formed(verdict)


@pytest.mark.parametrize("section", ["order-info", "contact-info"])
@pytest.mark.parametrize("value", [None, "x", 3, ["a"], True])
def test_section_not_an_object(section, value):
    rec = record()
    rec[section] = value
    verdict = check(rec)
    rule = contract.Rule.MISSING if value is None else contract.Rule.TYPE
    assert (section, rule) in rules(verdict)
    assert not verdict.complete
    assert_well_formed(verdict)


def test_empty_object_names_both_sections():
    verdict = check({})
    assert rules(verdict) == [("order-info", "missing"), ("contact-info", "missing")]


def test_extract_order_id_edges():
    assert extract_order_id("x") == (None, None)
    assert extract_order_id({"order-info": 3}) == (None, None)
    assert extract_order_id({"order-info": {"order-id": 7}}) == ("7", None)
    order_id, reason = extract_order_id({"order-info": {}})
    assert order_id is None and reason.rule == contract.Rule.MISSING


# ------------------------------------------------------------------ content hash


def test_content_hash_ignores_key_order_and_source_whitespace():
    a = json.loads('{"order-info": {"OrderId": "A", "qty": 4}, "contact-info": {"name": "N", "email": "e@x.io"}}')
    b = json.loads(
        '{\n  "contact-info" : { "email":"e@x.io" ,"name":"N"},\n  "order-info":{"qty":4,   "OrderId":"A"}\n}'
    )
    assert content_hash(a) == content_hash(b)


def test_content_hash_of_normalized_records_is_equal_for_equivalent_input():
    a = check(record(order={"qty": "4", "item-id": " SKU-1 "}))
    b = check(record(order={"qty": 4}))
    assert content_hash(a.record) == content_hash(b.record)


@pytest.mark.parametrize(
    "change",
    [
        {"order": {"qty": 5}},
        {"order": {"item-id": "SKU-2"}},
        {"contact": {"name": "Bob"}},
        {"contact": {"email": "bob@example.com"}},
        {"order": {"note": "x"}},
    ],
)
def test_content_hash_differs_for_different_content(change):
    assert content_hash(record()) != content_hash(record(**change))


def test_content_hash_distinguishes_types_and_unicode():
    assert content_hash({"a": 1}) != content_hash({"a": "1"})
    assert content_hash({"a": "é"}) != content_hash({"a": "e"})
    assert len(content_hash({"a": 1})) == 64
