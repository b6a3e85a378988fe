"""Exact JSON (services/domain/json_codec.py): numbers keep every digit, text stays valid, NaN never appears."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from typing import Any

import pytest

from services.domain import json_codec
from services.domain.json_codec import canonical, dumps, exact, loads

PLAIN: list[Any] = [
    {"a": [1, 2.5, {"b": None, "c": True, "d": False}], "e": 'é \u2028 \x00 "q" \\ 😀', "f": {}, "g": []},
    [],
    {},
    "text",
    -17,
    [[], [{}], {"k": [1, [2, [3]]]}],
]
EXACT = [Decimal("0.1"), Decimal("1.5E+400"), Decimal("12345678901234567890.123"), Decimal("-0.0"), Decimal("1E-7")]


@pytest.mark.parametrize("value", PLAIN)
@pytest.mark.parametrize(
    "options",
    [{}, {"ascii": True}, {"spaced": True}, {"sort_keys": True}, {"indent": 2}, {"indent": 2, "ascii": True}],
)
def test_the_explicit_encoder_writes_what_json_dumps_writes(value, options):
    """A Decimal sends dumps down its slow path: the text around it must be json.dumps's, option for option."""
    separators = (",", ": ") if "indent" in options else ((", ", ": ") if options.get("spaced") else (",", ":"))
    expected = json.dumps(
        [value, 1],
        ensure_ascii=options.get("ascii", False),
        separators=separators,
        sort_keys=options.get("sort_keys", False),
        indent=options.get("indent"),
    )
    assert dumps([value, Decimal(1)], **options) == expected
    assert dumps([value, 1], **options) == expected  # the fast path


@pytest.mark.parametrize("number", EXACT)
def test_decimals_are_written_and_read_exactly(number):
    text = dumps({"n": number, "in": [number]})
    assert text == f'{{"n":{number},"in":[{number}]}}'
    back = loads(text)
    assert str(back["n"]) == str(number) and back["in"] == [number]
    assert type(back["n"]) is Decimal


def test_loads_reads_integers_as_int_and_other_numbers_as_decimal():
    big = 123456789012345678901234567890
    assert loads(f"[3, 3.0, 1e3, -0, {big}]") == [3, Decimal("3.0"), Decimal("1E+3"), 0, big]
    assert [type(v) for v in loads("[3, 3.0]")] == [int, Decimal]
    assert loads(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_loads_refuses_nan_and_infinity(text):
    with pytest.raises(ValueError, match=r"JSON has no .*write null or a string"):
        loads(text)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), [Decimal("sNaN")]])
def test_dumps_refuses_what_json_has_no_value_for(value):
    with pytest.raises(ValueError):
        dumps(value)


def test_dumps_refuses_what_is_not_json():
    with pytest.raises(TypeError):
        dumps({"a": object()})
    with pytest.raises(TypeError):
        dumps({"a": Decimal(1), "b": {1, 2}})


@pytest.mark.parametrize("text", ["\ud800", "a\udc00b", "\ud800\ud800", "é\udfff"])
def test_lone_surrogates_are_written_as_escapes_so_the_text_is_valid_utf8(text):
    for value in ({"s": text}, {"s": text, "n": Decimal("0.5")}, {text: 1}):
        written = dumps(value)
        written.encode("utf-8")  # no UnicodeEncodeError
        assert loads(written) == value
        assert dumps(value, ascii=True).isascii()
        assert loads(dumps(value, ascii=True)) == value


def test_valid_text_leaves_valid_text_alone():
    text = '{"a":"é 😀 \ufffe"}'
    assert json_codec.valid_text(text) is text


def test_ascii_escapes_every_non_ascii_character():
    written = dumps({"s": "é\ufffe😀\ud800", "n": Decimal("1.5")}, ascii=True)
    assert written == '{"s":"\\u00e9\\ufffe\\ud83d\\ude00\\ud800","n":1.5}'


def test_canonical_writes_equal_numbers_alike():
    assert canonical({"a": 3}) == canonical({"a": Decimal("3.0")}) == canonical({"a": Decimal("3.00")})
    assert canonical({"a": 3}) == canonical({"a": Decimal("3E0")}) == canonical({"a": Decimal("0.3E1")})
    assert canonical({"a": 10**40}) == canonical({"a": Decimal("1E+40")})
    assert canonical({"a": Decimal("1.50")}) == canonical({"a": Decimal("1.5")}) != canonical({"a": Decimal("1.51")})
    assert canonical({"a": 0}) == canonical({"a": Decimal("0E-9")}) == canonical({"a": Decimal("-0.0")})
    assert canonical({"b": 1, "a": Decimal("2")}) == canonical({"a": 2, "b": 1})


def test_canonical_never_confuses_a_number_with_a_string():
    assert canonical({"a": Decimal("3.0")}) != canonical({"a": "3.0"})
    assert canonical({"a": 3}) != canonical({"a": "3"})
    assert canonical({"a": Decimal("1.5")}) != canonical({"a": "15E-1"})


def test_canonical_of_a_huge_exponent_is_quick():
    started = time.perf_counter()
    text = canonical({"a": Decimal("1E+999999999999999999"), "b": Decimal("-5E+10001")})
    assert time.perf_counter() - started < 1
    assert text == '{"a":1E999999999999999999,"b":-5E10001}'


def test_exact_turns_floats_into_the_decimals_they_show():
    assert exact({"a": [0.1, 2.5, 1e200], "b": 3, "c": "x", "d": True}) == {
        "a": [Decimal("0.1"), Decimal("2.5"), Decimal("1e+200")],
        "b": 3,
        "c": "x",
        "d": True,
    }
    assert type(exact(True)) is bool


def test_the_integer_digit_limit_is_raised_to_10000_and_bounded():
    assert sys.get_int_max_str_digits() in (0,) or sys.get_int_max_str_digits() >= json_codec.MAX_INT_DIGITS
    assert loads("9" * json_codec.MAX_INT_DIGITS) == int("9" * json_codec.MAX_INT_DIGITS)
    if sys.get_int_max_str_digits() == json_codec.MAX_INT_DIGITS:
        with pytest.raises(ValueError):
            loads("9" * (json_codec.MAX_INT_DIGITS + 1))
