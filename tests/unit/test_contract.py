"""The validation contract (docs/validation.md), rule by rule."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
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
    assert [k for k in order_info if k in ("OrderId", "orderId", "order-id", "order_id")] == ["OrderId"]


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


def test_content_hash_compares_numbers_by_value_never_by_notation():
    assert content_hash({"a": 3}) == content_hash({"a": Decimal("3.0")}) == content_hash({"a": Decimal("3.00")})
    assert content_hash({"a": 10**40}) == content_hash({"a": Decimal("1E+40")})
    assert content_hash({"a": Decimal("3.0")}) != content_hash({"a": "3.0"})
    assert content_hash({"a": Decimal("0.1")}) != content_hash({"a": Decimal("0.10000000000000001")})


# ------------------------------------------------------------------ decisions


@pytest.mark.parametrize(
    "value",
    ["\u0661\u0662", "\uff11\uff12", "\u0661", "1\uff12", Decimal("3.0"), Decimal("1E+3"), Decimal("3"), "3.0", "1e3"],
)
def test_qty_takes_only_ascii_digits_and_integers(value):
    verdict = check(record(order={"qty": value}))
    assert rules(verdict) == [("order-info.qty", contract.Rule.POSITIVE_WHOLE)]


@pytest.mark.parametrize(("value", "stored"), [("3", 3), (3, 3), (" 0012 ", 12), ("1" + "0" * 40, 10**40)])
def test_qty_whole_number_notation_is_accepted(value, stored):
    verdict = check(record(order={"qty": value}))
    assert verdict.complete, verdict.reasons
    assert verdict.record["order-info"]["qty"] == stored


@pytest.mark.parametrize("value", ["1" * 39, "1" * 127, "1" + "0" * 20_000, "9" * 5_000])
def test_a_text_qty_dynamodb_could_not_store_as_a_number_is_number_range(value):
    verdict = check(record(order={"qty": value}))
    assert rules(verdict) == [("order-info.qty", contract.Rule.NUMBER_RANGE)]


@pytest.mark.parametrize("email", ["a@localhost", "ada@example", "ada@sub_domain"])
def test_an_email_needs_a_domain_with_a_dot(email):
    verdict = check(record(contact={"email": email}))
    assert rules(verdict) == [("contact-info.email", contract.Rule.EMAIL)]
    assert verdict.reasons[0].message == "email is not a valid email address"


@pytest.mark.parametrize(
    ("local", "domain", "complete"),
    [
        ("a" * 64, "example.com", True),
        ("a" * 65, "example.com", False),
        ("a" * 300, "example.com", False),
        ("é" * 32, "example.com", True),  # 64 bytes of UTF-8
        ("é" * 32 + "a", "example.com", False),
        ("a", ".".join(["d" * 63] * 3) + "." + "d" * 59 + ".com", True),  # 255 bytes
        ("a", ".".join(["d" * 63] * 3) + "." + "d" * 60 + ".com", False),
    ],
)
def test_an_email_has_at_most_64_bytes_before_the_at_and_255_after(local, domain, complete):
    verdict = check(record(contact={"email": f"{local}@{domain}"}))
    assert verdict.complete is complete, verdict.reasons
    if not complete:
        assert rules(verdict) == [("contact-info.email", contract.Rule.EMAIL)]
        assert "(RFC 5321)" in verdict.reasons[0].message


@pytest.mark.parametrize("name", ["_hash", "_source", "_file", "_at", "OrderId"])
def test_a_top_level_field_of_a_name_salesdq_stores_is_reserved_field(name):
    verdict = check(record(**{name: "mine"}))
    assert rules(verdict) == [(name, contract.Rule.RESERVED_FIELD)]
    assert verdict.record is None
    # the same names elsewhere are the user's own
    assert check(record(contact={name: "mine"}, extra={name: 1})).complete


def test_a_top_level_order_id_beside_an_aliased_one_is_reserved_field_even_when_equal():
    rec = record(OrderId="A-1", _at="2020-01-01")
    del rec["order-info"]["OrderId"]
    rec["order-info"]["order_id"] = "A-1"
    assert rules(check(rec)) == [("OrderId", "reserved_field"), ("_at", "reserved_field")]


@pytest.mark.parametrize(
    ("order_id", "code"),
    [
        ("\u200b", "U+200B"),  # a zero-width space alone (Cf)
        ("A\u202eB", "U+202E"),  # a right-to-left override (Cf)
        ("A\nB", "U+000A"),  # an embedded newline (Cc)
        ("\x00", "U+0000"),
        ("A\x00", "U+0000"),
        ("A\u2028B", "U+2028"),  # line separator (Zl)
        ("A\u2029B", "U+2029"),  # paragraph separator (Zp)
        ("A\x7fB", "U+007F"),
        ("\ufeffA", "U+FEFF"),
    ],
)
def test_an_order_id_with_a_control_or_format_character_is_control_character(order_id, code):
    verdict = check(record(order={"OrderId": order_id}))
    assert rules(verdict) == [("order-info.OrderId", contract.Rule.CONTROL_CHARACTER)]
    assert verdict.order_id is None
    assert code in verdict.reasons[0].message


@pytest.mark.parametrize("order_id", [" A-1\n", "\tA-1\u2028", "A 1", "A\u00a0B", "北-1"])
def test_whitespace_around_an_id_is_trimmed_and_visible_text_inside_is_kept(order_id):
    assert check(record(order={"OrderId": order_id})).order_id == order_id.strip()


def test_an_order_id_is_keyed_in_nfc_so_nfc_and_nfd_are_one_order():
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    first, second = check(record(order={"OrderId": nfc})), check(record(order={"OrderId": nfd}))
    assert first.order_id == second.order_id == nfc
    assert second.record["order-info"]["OrderId"] == nfc
    assert content_hash(first.record) == content_hash(second.record)
    # aliases agreeing up to normalization are one id, not ambiguous
    assert check(record(order={"OrderId": nfc, "order_id": nfd})).order_id == nfc
    assert contract.order_id_form(" " + nfd + " ") == nfc


def test_duplicate_keys_found_while_parsing_quarantine_the_record_naming_each_path():
    verdict = check(record(), duplicate_keys=["order-info.qty", "gift.tags[1].id"])
    assert rules(verdict) == [("order-info.qty", "duplicate_key"), ("gift.tags[1].id", "duplicate_key")]
    assert "last value" in verdict.reasons[0].message
    assert verdict.record is None and verdict.order_id == "A-1"


# ------------------------------------------------------------------ DynamoDB's limits


def nest(levels: int, leaf: Any = 1) -> Any:
    """`levels` arrays inside one another around leaf."""
    for _ in range(levels):
        leaf = [leaf]
    return leaf


@pytest.mark.parametrize(
    ("order_id", "complete"),
    [
        ("x" * 1024, True),
        ("x" * 1025, False),
        ("é" * 512, True),  # 1,024 bytes
        ("é" * 512 + "x", False),  # 513 characters, 1,025 bytes
        ("  " + "x" * 1024 + "  ", True),  # measured after trimming
        (int("9" * 1024), True),
        (int("9" * 1025), False),
        ("x" * 2043, False),  # ORDER#<id> would pass DynamoDB's 2,048-byte partition key
    ],
    ids=["1024", "1025", "512-e-acute", "1025-bytes-513-chars", "padded", "int-1024-digits", "int-1025", "2043"],
)
def test_an_order_id_is_at_most_1024_utf8_bytes(order_id, complete):
    verdict = check(record(order={"OrderId": order_id}))
    if complete:
        assert verdict.complete, verdict.reasons
        assert verdict.order_id == str(order_id).strip()
    else:
        assert rules(verdict) == [("order-info.OrderId", contract.Rule.KEY_SIZE)]
        assert verdict.order_id is None  # no audit key is built from it
        assert "1,024 bytes" in verdict.reasons[0].message
        assert contract.extract_order_id(record(order={"OrderId": order_id}))[0] is None


@pytest.mark.parametrize(
    "number",
    [
        int("9" * 38),
        -int("9" * 38),
        10**40,
        10**125,
        Decimal("9.9999999999999999999999999999999999999E+125"),
        Decimal("-9.9999999999999999999999999999999999999E+125"),
        Decimal("1E-130"),
        Decimal("-1E-130"),
        Decimal("0"),
        Decimal("0E-400"),
        Decimal("1." + "0" * 50),  # trailing zeros are not significant
        Decimal("0.1"),
        2**63,
    ],
)
def test_numbers_dynamodb_holds_are_stored(number):
    verdict = check(record(order={"weight": number}, gift={"values": [number]}))
    assert verdict.complete, verdict.reasons


@pytest.mark.parametrize(
    "number",
    [
        int("9" * 39),
        -int("9" * 39),
        10**126,
        Decimal("1E+126"),
        Decimal("-1E+126"),
        Decimal("1E-131"),
        Decimal("-1E-131"),
        Decimal("1." + "0" * 37 + "1"),
        Decimal("1.5E+400"),
        int("9" * 5000),
        1e200,
        Decimal("NaN"),
    ],
)
def test_a_number_dynamodb_cannot_hold_is_number_range_wherever_it_is(number):
    verdict = check(record(order={"weight": number}, gift={"values": [1, number]}))
    assert rules(verdict) == [("order-info.weight", "number_range"), ("gift.values[1]", "number_range")]
    assert_well_formed(verdict)


def test_fields_stored_as_text_are_not_judged_as_numbers():
    verdict = check(record(order={"OrderId": int("9" * 50), "item-id": int("9" * 60)}, contact={"name": 10**200}))
    assert verdict.complete, verdict.reasons
    assert verdict.record["order-info"]["item-id"] == "9" * 60


@pytest.mark.parametrize(
    ("key", "complete"),
    [("k" * 65_535, True), ("k" * 65_536, False), ("é" * 32_767 + "k", True), ("é" * 32_768, False), ("", False)],
    ids=["65535", "65536", "65535-bytes", "65536-bytes", "empty"],
)
def test_object_keys_are_1_to_65535_utf8_bytes_at_any_depth(key, complete):
    for rec in (record(**{key: 1}), record(order={key: 1}), record(gift=[{"a": {key: None}}])):
        verdict = check(rec)
        if complete:
            assert verdict.complete, verdict.reasons
        else:
            assert [r.rule for r in verdict.reasons] == [contract.Rule.ATTRIBUTE_NAME]
    assert rules(check(record(order={"": 1}))) == [('order-info.""', "attribute_name")]


@pytest.mark.parametrize(
    ("value", "complete"),
    [
        (nest(31), True),  # 31 arrays: the leaf is at level 32
        (nest(32), False),
        (nest(30, []), True),
        (nest(31, []), False),  # an empty array at level 32 is the 32nd nested array
        (nest(31, {"a": 1}), False),
        (nest(30, {"a": 1}), True),
    ],
)
def test_objects_and_arrays_nest_at_most_32_levels_counting_the_records_fields_as_level_1(value, complete):
    verdict = check(record(deep=value))
    if complete:
        assert verdict.complete, verdict.reasons
    else:
        assert [r.rule for r in verdict.reasons] == [contract.Rule.NESTING_DEPTH]
        assert verdict.reasons[0].field.startswith("deep[0]")


def test_nesting_counts_objects_like_arrays():
    deep: Any = 1
    for _ in range(30):
        deep = {"n": deep}
    assert check(record(order={"deep": deep})).complete  # order-info is level 1, its "deep" value level 2...
    assert rules(check(record(order={"deep": {"n": deep}})))[0][1] == "nesting_depth"


@pytest.mark.parametrize("text", ["\ud800", "a\udc00", "\ud800\ud800", "\udfff\ud800"])
def test_text_that_is_not_valid_unicode_is_invalid_text_in_values_and_keys(text):
    assert rules(check(record(order={"item-desc": text}))) == [("order-info.item-desc", "invalid_text")]
    assert rules(check(record(note=[text]))) == [("note[0]", "invalid_text")]
    assert [r.rule for r in check(record(**{text: 1})).reasons] == ["invalid_text"]
    assert rules(check(record(order={"OrderId": text}))) == [("order-info.OrderId", "invalid_text")]
    assert check(record(order={"OrderId": text})).order_id is None


@pytest.mark.parametrize("text", ["😀", "\ufffe", "\uffff", "\x00", "é北"])
def test_valid_unicode_is_stored_whatever_it_holds(text):
    order_id = "A" + (text if text != "\x00" else "")  # a control character is no order id's (below)
    assert check(record(order={"item-desc": text, "OrderId": order_id}, **{text: text})).complete


def test_every_reason_is_reported_at_once_for_an_incomplete_record_too():
    rec = {
        "order-info": {"OrderId": "x" * 2000, "qty": "\u0661\u0662", "": 1},
        "contact-info": {"name": "\ud800", "email": "a@localhost"},
        "w": Decimal("1E+400"),
        "d": nest(40),
    }
    verdict = check(rec, duplicate_keys=["order-info.qty"])
    assert sorted(rules(verdict)) == sorted(
        [
            ("order-info.OrderId", "key_size"),
            ("order-info.item-id", "missing"),
            ("order-info.qty", "positive_whole"),
            ("contact-info.email", "email"),
            ('order-info.""', "attribute_name"),
            ("contact-info.name", "invalid_text"),
            ("w", "number_range"),
            ("d" + "[0]" * 31, "nesting_depth"),
            ("order-info.qty", "duplicate_key"),
        ]
    )
    assert_well_formed(verdict)


def test_reasons_of_one_rule_are_capped_with_a_count_of_the_rest():
    verdict = check(record(values=[Decimal("1E+999")] * 12, keys={f"k{i}": {"": 1} for i in range(7)}))
    number = [r for r in verdict.reasons if r.rule == "number_range"]
    assert [r.field for r in number] == [f"values[{i}]" for i in range(contract.MAX_REASONS_PER_RULE)] + ["$"]
    assert number[-1].message == "and 7 more of this kind"
    assert sum(r.rule == "attribute_name" for r in verdict.reasons) == contract.MAX_REASONS_PER_RULE + 1
    many = check(record(), duplicate_keys=[f"k{i}" for i in range(100)])
    assert len(many.reasons) == contract.MAX_REASONS_PER_RULE + 1


def test_a_reason_names_a_path_even_of_keys_that_are_not_text_or_are_long():
    verdict = check(record(**{"\udc00" + "k" * 100: Decimal("1E+999")}))
    for reason in verdict.reasons:
        reason.field.encode("utf-8")  # an audit event carries it: it must be valid text
        assert len(reason.field) <= 200
    assert {r.rule for r in verdict.reasons} == {"invalid_text", "number_range"}
    assert contract.path_text(["a" * 500, 3, "b"]) == "a" * 37 + "...[3].b"
    assert contract.path_text(["abcdef"] * 50).endswith("...") and len(contract.path_text(["abcdef"] * 50)) == 200
    assert contract.path_text([]) == "$"


def test_storage_limits_leave_a_record_as_it_came():
    rec = record(order={"weight": Decimal("1E+999")})
    before = copy.deepcopy(rec)
    check(rec)
    assert rec == before


def test_a_json_lines_line_that_could_not_be_read_is_unreadable_with_the_readers_reason_alone():
    why = "the line is not valid JSON (line 7, column 2: unexpected 'oops')"
    verdict = check("{oops}", unreadable=why)
    assert rules(verdict) == [("$", contract.Rule.UNREADABLE)]  # not also not_object: its text is no record
    assert verdict.reasons[0].message == why and verdict.order_id is None


def test_history_asks_for_an_order_id_as_the_contract_keys_it():
    from salesdq.operators.history import order_history

    asked: list[str] = []

    class _Audit:
        def query(self, pk: str) -> list[dict[str, Any]]:
            asked.append(pk)
            return []

    class _Stack:
        def audit(self) -> _Audit:
            return _Audit()

    for typed in (" café-1 ", "cafe\u0301-1", "café-1\n"):
        order_history(_Stack(), typed)  # type: ignore[arg-type]
    assert asked == ["ORDER#café-1"] * 3
