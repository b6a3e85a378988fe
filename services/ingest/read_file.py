"""Streaming reader for sales files: shapes, file-level faults and the byte fingerprint.

Memory stays flat for the two shapes big files use: `{"orders": [...]}` with "orders" as the first key,
a top-level array, and JSON Lines. An object with "orders" elsewhere is read whole, up to a bound.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterator
from typing import IO, Any

import ijson

BOM = codecs.BOM_UTF8
HEAD_BYTES = 64 * 1024
WHOLE_OBJECT_LIMIT = 64 * 1024 * 1024
_ORDERS_FIRST = re.compile(rb'^\s*\{\s*"orders"\s*:\s*\[')
_WHITESPACE = b" \t\r\n"


class FileRejectedError(Exception):
    """The file as a whole cannot be read as sales records; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Tap:
    """A binary reader that fingerprints, counts and UTF-8-checks every byte on its way to the parser."""

    def __init__(self, raw: IO[bytes], head: bytes) -> None:
        self._raw = raw
        self._pending = head
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._checking = True

    def _account(self, data: bytes) -> bytes:
        start = self.size
        self.sha256.update(data)  # every byte, valid text or not: a rejected file keeps its own fingerprint
        self.size += len(data)
        if self._checking:
            try:
                self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as error:
                self._checking = False
                offset = start + error.start
                raise FileRejectedError(f"the file is not UTF-8 text (invalid byte at offset {offset})") from None
        return data

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes the stream type with read(0)
            return b""
        if self._pending:
            data, self._pending = self._pending, b""
            return self._account(data)
        return self._account(self._raw.read(size if size and size > 0 else 1024 * 1024))

    def drain(self) -> None:
        """Read to the end so the fingerprint covers the whole file (bytes are no longer checked)."""
        self._checking = False
        while self.read(1024 * 1024):
            pass


class SalesFile:
    """Iterate a sales file's records; `fingerprint` and `size` are final once iteration ends."""

    def __init__(self, stream: IO[bytes], name: str, size_hint: int | None = None) -> None:
        head = stream.read(HEAD_BYTES)
        self._tap = _Tap(stream, head)
        self._bom = len(BOM) if head.startswith(BOM) else 0
        self._head = head[self._bom :]
        self._name = name
        self._size_hint = size_hint

    @property
    def fingerprint(self) -> str:
        return self._tap.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self._tap.size

    def records(self) -> Iterator[Any]:
        try:
            yield from self._records()
        except ijson.JSONError as error:  # IncompleteJSONError included
            self._tap.drain()
            raise FileRejectedError(_json_reason(error)) from None
        except FileRejectedError:
            self._tap.drain()
            raise

    def _records(self) -> Iterator[Any]:
        if self._head.startswith(BOM):  # BOM stripped once; a second one is garbage
            raise FileRejectedError("the file is not valid JSON (it starts with two byte-order marks)")
        try:
            codecs.getincrementaldecoder("utf-8")().decode(self._head, final=False)
        except UnicodeDecodeError as error:
            offset = self._bom + error.start
            raise FileRejectedError(f"the file is not UTF-8 text (invalid byte at offset {offset})") from None
        stripped = self._head.lstrip(_WHITESPACE)
        if not stripped:
            self._tap.drain()
            if self._tap.size == 0:
                raise FileRejectedError("the file is empty")
            raise FileRejectedError("the file holds only whitespace")
        reader = _SkipBom(self._tap)
        first = stripped[:1]
        if self._name.endswith(".jsonl"):
            yield from ijson.items(reader, "", multiple_values=True, use_float=True)
        elif first == b"[":
            yield from ijson.items(reader, "item", use_float=True)
        elif _ORDERS_FIRST.match(self._head):
            yield from ijson.items(reader, "orders.item", use_float=True)
        elif first == b"{":
            yield from self._objects(reader)
        else:
            raise FileRejectedError(_scalar_reason(stripped))

    def _objects(self, reader: _SkipBom) -> Iterator[Any]:
        values = ijson.items(reader, "", multiple_values=True, use_float=True)
        first = next(values)
        second = next(values, _END)
        if second is not _END:  # several top-level objects: JSON Lines in a .json file
            yield first
            yield second
            yield from values
            return
        if self._size_hint is not None and self._size_hint > WHOLE_OBJECT_LIMIT:
            raise FileRejectedError('put "orders" first in files over 64 MiB, or use JSON Lines')
        if not isinstance(first, dict) or "orders" not in first:
            raise FileRejectedError('the top-level object has no "orders" key')
        orders = first["orders"]
        if not isinstance(orders, list):
            raise FileRejectedError(f'"orders" is {_json_kind(orders)}, not a list')
        yield from orders


class _SkipBom:
    """Drops a leading UTF-8 BOM, which the contract tolerates, before bytes reach the parser."""

    def __init__(self, tap: _Tap) -> None:
        self._tap = tap
        self._first = True

    def read(self, size: int = -1) -> bytes:
        data = self._tap.read(size)
        if self._first and data and size != 0:
            self._first = False
            if data.startswith(BOM):
                data = data[len(BOM) :]
        return data


_END = object()


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _scalar_reason(start: bytes) -> str:
    expected = 'expected {"orders": [...]}, an array of records, or JSON Lines'
    try:
        value = json.loads(start.decode("utf-8"))
    except ValueError:
        snippet = start[:12].decode("utf-8", "replace")
        return f"the file is not valid JSON (it starts with {snippet!r})"
    return f"the top level is {_json_kind(value)}, not records: {expected}"


def _json_reason(error: Exception) -> str:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    detail = detail.removeprefix("parse error: ").strip()
    if "premature EOF" in detail or "Incomplete JSON" in detail:
        return "the file is truncated (it ends inside a JSON value)"
    if "integer overflow" in detail:  # the C parser stops at 64-bit integers
        return "the file has a number with more than 19 digits: write long identifiers as strings"
    return f"the file is not valid JSON ({detail})"
