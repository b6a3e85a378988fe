"""Plain values <-> DynamoDB attribute values (services/dal/_dynamo.py): numbers exact both ways."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from services.dal._dynamo import UnstorableNumberError, from_item, number_text, to_item


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (-17, "-17"),
        (0, "0"),
        (2**63, "9223372036854775808"),
        (int("9" * 38), "9" * 38),
        (10**40, "1E+40"),  # one significant digit: DynamoDB trims trailing zeros
        (Decimal("3.0"), "3"),
        (Decimal("1.50"), "1.5"),
        (Decimal("0.1"), "0.1"),
        (Decimal("0E-500"), "0"),
        (Decimal("-0.0"), "0"),
        (Decimal("12345678901234567890.123"), "12345678901234567890.123"),
        (Decimal("9.9999999999999999999999999999999999999E+125"), "9.9999999999999999999999999999999999999E+125"),
        (Decimal("1E-130"), "1E-130"),
        (Decimal("-1E-130"), "-1E-130"),
        (2.5, "2.5"),  # a float counts as the decimal its repr shows
        (0.1, "0.1"),
    ],
)
def test_numbers_go_to_dynamodb_as_their_exact_value(value, text):
    assert number_text(value) == text
    assert to_item({"n": value}) == {"n": {"N": text}}


@pytest.mark.parametrize(
    "value",
    [
        int("9" * 39),
        Decimal("1E+126"),
        Decimal("-1E+126"),
        Decimal("1E-131"),
        Decimal("1.5E+400"),
        Decimal("1." + "0" * 37 + "1"),  # 39 significant digits
        Decimal("NaN"),
        Decimal("Infinity"),
        float("inf"),
    ],
)
def test_a_number_dynamodb_cannot_hold_raises_a_decimal_exception(value):
    with pytest.raises(UnstorableNumberError):
        to_item({"n": value})
    assert issubclass(UnstorableNumberError, decimal.DecimalException)  # what store_orders catches


def test_everything_else_is_typed_as_boto3_types_it():
    item = {"s": "é", "t": True, "z": None, "m": {"l": [1, "a", {"x": False}]}, "e": "", "empty": {}, "none": []}
    assert to_item(item) == {
        "s": {"S": "é"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "m": {"M": {"l": {"L": [{"N": "1"}, {"S": "a"}, {"M": {"x": {"BOOL": False}}}]}}},
        "e": {"S": ""},
        "empty": {"M": {}},
        "none": {"L": []},
    }
    assert from_item(to_item(item)) == item


def test_numbers_come_back_as_int_when_whole_and_decimal_otherwise_never_float():
    back = from_item(to_item({"a": 3, "b": Decimal("3.0"), "c": Decimal("2.5"), "d": 10**40, "e": [Decimal("1E-130")]}))
    assert back == {"a": 3, "b": 3, "c": Decimal("2.5"), "d": 10**40, "e": [Decimal("1E-130")]}
    assert [type(back[k]) for k in "abcd"] == [int, int, Decimal, int]
    assert type(back["e"][0]) is Decimal
    assert from_item({"n": {"N": "12345678901234567890.123"}}) == {"n": Decimal("12345678901234567890.123")}


def test_sets_and_binary_still_read():
    assert from_item({"ss": {"SS": ["a"]}, "b": {"B": b"x"}})["ss"] == {"a"}
