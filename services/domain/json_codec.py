"""Exact JSON for records: numbers keep every digit, text stays valid Unicode, NaN and Infinity never appear.

Records travel as JSON text (staged chunks, quarantine message bodies, S3 objects, `--out` files); this module is
the one place that text is written and read. `loads` turns non-integers into `decimal.Decimal`, so 0.1, 1.5e400 and
a 23-digit decimal arrive exactly as written, and `dumps` writes a Decimal as the exact number it is (the
standard json module cannot). `dumps` takes the fast path of `json.dumps` and falls back to a small explicit
encoder only when a Decimal is present.

Text written by `dumps` is always valid Unicode: a lone surrogate (a string parsed from a `\\ud800` escape)
is written back as that escape, so the text encodes as UTF-8 and reads back as the same string.

Integers: Python refuses to convert integers of more than `sys.get_int_max_str_digits()` digits between
text and int (4,300 by default). Importing this module raises that limit to MAX_INT_DIGITS (never lowers a
higher one), so a record with a number of up to 10,000 digits is read and quarantined on its own; a longer
one cannot be read, and the file holding it is rejected with a reason saying where (services/ingest).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from json import encoder as _json_encoder
from typing import Any

MAX_INT_DIGITS = 10_000
if 0 < sys.get_int_max_str_digits() < MAX_INT_DIGITS:
    sys.set_int_max_str_digits(MAX_INT_DIGITS)

_SURROGATE = re.compile("[\ud800-\udfff]")
_COMPACT = (",", ":")
_SPACED = (", ", ": ")


class _HasDecimalError(Exception):
    """Raised out of json.dumps's fast path: the value holds a Decimal."""


def _no_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        raise _HasDecimalError
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def int_digits_limit() -> int:
    """The longest integer (in digits) Python converts from text in this process; 0 means unlimited."""
    return sys.get_int_max_str_digits()


@functools.cache
def _fast(ascii: bool, separators: tuple[str, str], sort_keys: bool) -> Callable[[Any], str]:
    """json's own C encoder, made once (json.dumps makes one a call): half the time of json.dumps for a
    record. It keeps no markers to catch a value that holds itself: parsed JSON never does."""
    make_encoder = getattr(_json_encoder, "c_make_encoder", None)  # what json.JSONEncoder uses, when there
    if make_encoder is None:  # a Python without the _json accelerator
        return json.JSONEncoder(
            ensure_ascii=ascii, separators=separators, sort_keys=sort_keys, allow_nan=False, default=_no_default
        ).encode
    string = _json_encoder.encode_basestring_ascii if ascii else _json_encoder.encode_basestring
    item, key = separators
    encode = make_encoder(None, _no_default, string, None, key, item, sort_keys, False, False)
    return lambda value: "".join(encode(value, 0))


def dumps(
    value: Any, *, ascii: bool = False, spaced: bool = False, sort_keys: bool = False, indent: int | None = None
) -> str:
    """`value` as JSON text: compact unless `spaced` (json.dumps's default separators) or `indent`; `ascii`
    escapes every non-ASCII character (the form SQS takes whatever a record holds). ValueError for NaN or
    Infinity, TypeError for what JSON cannot hold."""
    separators = (",", ": ") if indent is not None else (_SPACED if spaced else _COMPACT)
    try:
        if indent is None:
            text = _fast(ascii, separators, sort_keys)(value)
        else:
            text = json.dumps(
                value, ensure_ascii=ascii, indent=indent, sort_keys=sort_keys, allow_nan=False, default=_no_default
            )
    except _HasDecimalError:
        text = _Encoder(ascii=ascii, separators=separators, sort_keys=sort_keys, indent=indent).encode(value)
    return text if ascii else valid_text(text)


def valid_text(text: str) -> str:
    """JSON text with each lone surrogate written as its \\u escape; unchanged (and not copied) otherwise.
    Lone surrogates only appear inside JSON strings, where the escape reads back as the same character."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON has no {name}: write null or a string")


def decoder(object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> json.JSONDecoder:
    """A decoder that reads as `loads` does, building objects with `object_pairs_hook` when given."""
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant, object_pairs_hook=object_pairs_hook)


_DECODER = decoder()


def loads(text: str | bytes) -> Any:
    """JSON text as Python values: integers as int, other numbers as Decimal; NaN and Infinity refused."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    return _DECODER.decode(text)


def number_text(number: Decimal) -> str:
    """A finite Decimal as the JSON number it is (str() of a finite Decimal is always valid JSON)."""
    if not number.is_finite():
        raise ValueError(f"JSON has no {number}: write null or a string")
    return str(number)


def exact(value: Any) -> Any:
    """value with every float as the Decimal its repr shows: what another JSON parser (the Lambda runtime's
    event parsing, for one) read as a float, as `loads` would have read the same text, when the text had at
    most 17 significant digits (a float cannot carry more)."""
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and value not in (_INF, -_INF) else value
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return value


_INF = float("inf")


def canonical(value: Any) -> str:
    """One text per content, for hashing: keys sorted, no whitespace, and every number by its value, so 3,
    3.0, 3.00 and 3E0 write alike and never like the string "3.0". Floats (which `loads` never produces) are
    written as their repr."""
    try:
        return valid_text(_fast(False, _COMPACT, True)(value))
    except _HasDecimalError:
        encoder = _Encoder(ascii=False, separators=_COMPACT, sort_keys=True, indent=None, number=_canonical_number)
        return valid_text(encoder.encode(value))


def _canonical_number(number: Decimal) -> str:
    """A Decimal by its value: an integer as its digits (as json writes an int); otherwise its digits with
    trailing zeros dropped and an exponent, e.g. 15E-1 for 1.50. Integers of more than MAX_INT_DIGITS digits
    cannot be read into an int, so one that large is written with its exponent and no int can equal it."""
    if not number.is_finite():
        raise ValueError(f"JSON has no {number}: write null or a string")
    if number == 0:
        return "0"
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(text)
    if exponent >= 0 and len(text) + exponent <= MAX_INT_DIGITS:
        return ("-" if sign else "") + text + "0" * exponent
    return f"{'-' if sign else ''}{text}E{exponent}"


class _Encoder:
    """The slow path: json.dumps's output, with a Decimal written as its exact number text."""

    def __init__(
        self,
        *,
        ascii: bool,
        separators: tuple[str, str],
        sort_keys: bool,
        indent: int | None,
        number: Any = number_text,
    ) -> None:
        self._string = json.encoder.encode_basestring_ascii if ascii else json.encoder.encode_basestring
        self._item, self._key = separators
        self._sort = sort_keys
        self._indent = indent
        self._number = number

    def encode(self, value: Any) -> str:
        parts: list[str] = []
        self._write(value, parts, 0)
        return "".join(parts)

    def _write(self, value: Any, parts: list[str], level: int) -> None:
        if isinstance(value, str):
            parts.append(self._string(value))
        elif value is None:
            parts.append("null")
        elif value is True:
            parts.append("true")
        elif value is False:
            parts.append("false")
        elif isinstance(value, int):
            parts.append(int.__repr__(value))
        elif isinstance(value, Decimal):
            parts.append(self._number(value))
        elif isinstance(value, float):
            parts.append(json.dumps(value, allow_nan=False))
        elif isinstance(value, dict):
            self._object(value, parts, level)
        elif isinstance(value, list | tuple):
            self._array(value, parts, level)
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def _separator(self, level: int) -> str:
        if self._indent is None:
            return self._item
        return self._item.rstrip() + "\n" + " " * (self._indent * level)

    def _close(self, level: int) -> str:
        return "" if self._indent is None else "\n" + " " * (self._indent * level)

    def _object(self, value: dict[Any, Any], parts: list[str], level: int) -> None:
        if not value:
            parts.append("{}")
            return
        items = sorted(value.items()) if self._sort else value.items()
        separator = self._separator(level + 1)
        parts.append("{" + self._close(level + 1))
        for position, (key, item) in enumerate(items):
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, not {type(key).__name__}")
            if position:
                parts.append(separator)
            parts.append(self._string(key))
            parts.append(self._key)
            self._write(item, parts, level + 1)
        parts.append(self._close(level) + "}")

    def _array(self, value: list[Any] | tuple[Any, ...], parts: list[str], level: int) -> None:
        if not value:
            parts.append("[]")
            return
        separator = self._separator(level + 1)
        parts.append("[" + self._close(level + 1))
        for position, item in enumerate(value):
            if position:
                parts.append(separator)
            self._write(item, parts, level + 1)
        parts.append(self._close(level) + "]")
