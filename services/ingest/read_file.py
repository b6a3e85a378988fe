"""Streaming reader for sales files: shapes, file-level faults and the byte fingerprint.

Memory stays flat for the two shapes big files use: `{"orders": [...]}` with "orders" as the first key,
a top-level array, and JSON Lines. An object with "orders" elsewhere is read whole, up to a bound.

Numbers are exact (non-integers as Decimal). Two parsers read the same JSON: ijson's C parser (yajl2_c),
fast, and ijson's pure-python one, exact in everything, about 23 times slower. The C parser has faults a
sales file can reach, so every block is inspected before it sees it (_Tap), and the file is read again from
its first byte with the exact parser when a block holds one of them:
- an integer longer than Python converts (sys.get_int_max_str_digits(), raised to 10,000 by json_codec):
  the C parser crashes the process;
- a \\u escape of a lone surrogate: the C parser turns a high one into "?", fails on a low one, and reads
  two high ones as one other character;
- objects and arrays nested deep: the C parser keeps the path of the value it is in, so its memory grows
  with the square of the depth.
The records the C parser had yielded before such a block are exact (it had not seen the block): the exact
parser skips them, so nothing is staged twice. A file the C parser finds invalid is read again by the exact
parser too, which says where (line and column) it is invalid. The fingerprint is always of every byte.

JSON Lines (.jsonl) are read a line at a time, each by json's own parser (none of the C parser's faults): every
line is its own record, so a line it cannot read is handed on as its raw text with the exact parser's reason
(chunk_entry.Findings.unreadable), for the contract to quarantine, and the file goes on.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from typing import IO, Any, Protocol

import ijson
from ijson.backends import python as _exact

from services.domain import json_codec
from services.domain.chunk_entry import NOTHING, Findings
from services.domain.contract import path_text
from services.errors import ServiceError

BOM = codecs.BOM_UTF8
HEAD_BYTES = 64 * 1024
WHOLE_OBJECT_LIMIT = 64 * 1024 * 1024
# A record nesting objects and arrays deeper than this (counted as the contract counts DynamoDB's 32 levels:
# the record's own fields are level 1) rejects the file: it could not travel as JSON through the workflow.
MAX_DEPTH = 100
_BLOCK = 64 * 1024
# Objects and arrays the file may hold open at once before the exact parser takes over from the C parser
# (whose memory grows with the square of the depth): far past MAX_DEPTH, so a file the C parser can read
# never needs the exact one for its depth.
_NESTING_GUARD = 500
_ORDERS_FIRST = re.compile(rb'^\s*\{\s*"orders"\s*:\s*\[')
_WHITESPACE = b" \t\r\n"
TRUNCATED = "the file is truncated (it ends inside a JSON value)"
_ORDERS_TWICE = (
    'the top-level object has the key "orders" more than once{where}: salesdq reads one list of orders; '
    "put every record in it"
)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
# A \u escape of a high surrogate not followed by a low one, or of a low one not after a high one.
_BROKEN_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_ESCAPE_PREFIX = re.compile(rb"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]?)?)?)?)?")  # what may start a low escape
_ESCAPE_CONTEXT = 12  # an escape and the one after it
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_ORDERS_KEY = b'"orders"'
# A \u escape of a letter of "orders": a key written with one is "orders" too.
_ORDERS_ESCAPE = re.compile(rb"\\u00(?:6[45fF]|7[23])")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_INTEGER = re.compile(r"-?[0-9]+")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class FileRejectedError(ServiceError):
    """The file as a whole cannot be read as sales records; `reason` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A record as parsed, with what parsing found of it: the paths of keys its objects held more than once (the
# last value kept), or, for a JSON Lines line that is no JSON value salesdq reads, why (the record is its text).
Entry = tuple[Any, Findings]
# Where the records of a file come from: a parser reading from a reader the records at a place, noting in a
# list the (object, key) of each key given twice (_Found).
_Values = Callable[["_Readable", str, "_Found"], Iterator[Any]]


class _NeedsExactParserError(Exception):
    """The next block holds what the C parser gets wrong: read the file again with the exact parser."""


class _LocatedParseError(Exception):
    """The exact parser stopped at a character offset: `kind` says why, `symbol` on which token."""

    def __init__(self, offset: int, kind: str, symbol: str = "") -> None:
        super().__init__(kind)
        self.offset, self.kind, self.symbol = offset, kind, symbol


def _nesting(blocks: bytes) -> tuple[int, int, int]:
    """(deepest nesting of the brackets a block opens and closes, brackets it closes first, brackets it
    leaves open), from its bracket characters alone; stops counting past _NESTING_GUARD."""
    depth = 0
    while depth <= _NESTING_GUARD:
        reduced = blocks.replace(b"[]", b"")
        if len(reduced) == len(blocks):
            break
        blocks, depth = reduced, depth + 1
    closes = blocks.count(b"]")
    return depth, closes, len(blocks) - closes


class _Tap:
    """A binary reader that fingerprints, counts and UTF-8-checks every byte on its way to the parser; with
    `guard`, it raises _NeedsExactParserError before the C parser would see a block it gets wrong (module docstring)."""

    def __init__(self, raw: IO[bytes], head: bytes, guard: bool) -> None:
        self._raw = raw
        self._pending = head
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._checking = True
        self._guard = guard
        limit = json_codec.int_digits_limit()
        self._digit_limit = min(limit, json_codec.MAX_INT_DIGITS) if limit else json_codec.MAX_INT_DIGITS
        self._long_number = b"0" * (self._digit_limit + 1)
        self._digit_run = 0  # digits ending the previous block
        self._escape_tail = b""
        self._open = 0  # brackets the blocks so far left open
        self._in_string = False  # whether the blocks so far end inside a string
        self._escape_next = False  # whether they end in a backslash that escapes the next byte
        self._orders_seen = 0  # times the text "orders" (as a JSON string) appeared, escaped letters counting 2
        self._orders_tail = b""

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
        if self._guard:
            self._inspect(data)
        return data

    def _inspect(self, data: bytes) -> None:
        self._check_digits(data)
        self._check_escapes(data)
        self._check_nesting(data)
        self._count_orders(data)

    def _count_orders(self, data: bytes) -> None:
        window = self._orders_tail + data  # the tail is shorter than a match: none is counted twice
        self._orders_seen += window.count(_ORDERS_KEY) + (2 if _ORDERS_ESCAPE.search(window) else 0)
        self._orders_tail = window[-(len(_ORDERS_KEY) - 1) :]

    @property
    def orders_again(self) -> bool:
        """Whether the bytes so far may hold a second key "orders" (the C parser's items do not tell)."""
        return self._orders_seen > 1

    def _check_digits(self, data: bytes) -> None:
        marked = data.translate(_MARK)  # digits as "0", all else as " ": a run is a number, or part of a string
        leading = len(marked) - len(marked.lstrip(b"0"))
        if self._digit_run + leading > self._digit_limit or self._long_number in marked:
            raise _NeedsExactParserError
        trailing = len(marked) - len(marked.rstrip(b"0"))
        self._digit_run = self._digit_run + len(marked) if trailing == len(marked) else trailing

    def _check_escapes(self, data: bytes) -> None:
        keep = 2 * _ESCAPE_CONTEXT
        if b"\\" not in self._escape_tail and b"\\u" not in data:  # most blocks: no copy, no search
            self._escape_tail = data[-keep:] if len(data) >= keep else (self._escape_tail + data)[-keep:]
            return
        window = self._escape_tail + data
        if b"\\u" in window:
            found = _BROKEN_SURROGATE.search(window, _ESCAPE_CONTEXT if self._escape_tail else 0)
            # an escape at the very end is judged with the next block: what follows it decides, and the C
            # parser cannot finish its string before that block
            if found and (not data or not _ESCAPE_PREFIX.fullmatch(window, found.end())):
                raise _NeedsExactParserError
        self._escape_tail = window[-keep:]

    def _check_nesting(self, data: bytes) -> None:
        """The brackets of the JSON's structure (not those in strings) this block opens and closes."""
        if self._escape_next:  # the last block ended in a backslash: this byte is what it escapes
            data, self._escape_next = data[1:], False
        if b"\\" in data:
            data = _ESCAPE.sub(b"", data)  # what is left of a string holds no backslash and no escaped quote
            if data.endswith(b"\\"):
                data, self._escape_next = data[:-1], True
        parts = data.translate(None, _NOT_STRUCTURE).split(b'"')
        structure = b"".join(parts[1::2] if self._in_string else parts[::2])
        self._in_string ^= len(parts) % 2 == 0
        inner, closes, opens = _nesting(structure.translate(_BRACKETS))
        if self._open + inner + opens > _NESTING_GUARD:
            raise _NeedsExactParserError
        self._open = max(0, self._open - closes) + opens

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
        self._guard = False
        while self.read(1024 * 1024):
            pass


_MARK = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))


Opener = Callable[[], IO[bytes]]


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class SalesFile:
    """Iterate a sales file's records; `fingerprint` and `size` are final once iteration ends.

    `reopen` gives the file's bytes again from the start (Prepare opens the S3 object again); without it a
    seekable stream is rewound. It is needed only when the exact parser must read the file (module docstring).
    """

    def __init__(
        self, stream: IO[bytes], name: str, size_hint: int | None = None, reopen: Opener | None = None
    ) -> None:
        self._name = name
        self._size_hint = size_hint
        if reopen is None and _seekable(stream):
            reopen = _rewind(stream)
        self._reopen = reopen
        self._where = _VALUES  # where the records are: _shapes decides
        self._lines = name.endswith(".jsonl")  # JSON Lines: each line parsed on its own, by json (no C parser guard)
        self._start(stream, guard=not self._lines)

    def _start(self, stream: IO[bytes], guard: bool) -> None:
        head = stream.read(HEAD_BYTES)
        self._tap = _Tap(stream, head, guard)
        self._bom = len(BOM) if head.startswith(BOM) else 0
        self._head = head[self._bom :]

    @property
    def size_hint(self) -> int | None:
        """The size its store gave before it was read (None: not given); `size` is what was read."""
        return self._size_hint

    @property
    def fingerprint(self) -> str:
        return self._tap.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self._tap.size

    def records(self) -> Iterator[Any]:
        for record, _ in self.entries():
            yield record

    def entries(self) -> Iterator[Entry]:
        """The records with what parsing found of them (keys held twice; a line that could not be read);
        FileRejectedError for the file."""
        yielded = 0
        try:
            if self._lines:
                yield from self._json_lines()
                return
            try:
                found = _Found()
                for record in self._shapes(_fast_values, found):
                    yield record, _findings(record, found)
                    yielded += 1
                if not (self._where == _ORDERS and self._tap.orders_again):
                    return
                # the items of a second top-level "orders" list have the same prefix: only the exact parser,
                # which sees the top-level keys, tells (it yields nothing again)
            except _NeedsExactParserError:
                pass
            except (ijson.JSONError, ValueError, ArithmeticError) as error:  # ArithmeticError: Decimal's
                if "premature EOF" in str(error):  # the C parser's word for a file that ends inside a value
                    raise FileRejectedError(TRUNCATED) from None
            if self._reopen is None:
                raise FileRejectedError("the file could not be read again to check it exactly") from None
            self._start(self._reopen(), guard=False)
            found = _Found()
            for position, record in enumerate(self._shapes(_exact_values, found)):
                if position >= yielded:  # the C parser yielded the ones before exactly
                    yield record, _findings(record, found)
        except _LocatedParseError as stop:
            self._tap.drain()
            line, column, text = _locate(self._reopen, stop.offset) if self._reopen else (0, 0, "")
            where = f"line {line}, column {column}" if line else f"character {stop.offset + 1}"
            raise FileRejectedError(_located_reason(stop, "file", where, text)) from None
        except FileRejectedError:
            self._tap.drain()
            raise

    def _json_lines(self) -> Iterator[Entry]:
        """JSON Lines: every line its own record. A line that is no JSON value salesdq reads costs only itself:
        its record is its raw text, with why (services.domain.chunk_entry.Findings), for the contract to
        quarantine; blank lines are no records. A file none of whose lines can be read is rejected whole."""
        reader = self._opened()
        lines = _LineReader()
        first_fault: str | None = None
        read = 0
        for number, line in enumerate(_split_lines(reader), 1):
            text = line.decode("utf-8")  # the tap checked every byte of it
            if text.strip(" \t\r"):
                entry = lines.entry(text.removesuffix("\r"), number)
                if entry[1].unreadable is None:
                    read += 1
                elif first_fault is None:
                    first_fault = entry[1].unreadable
                yield entry
        if first_fault is not None and not read:  # no line is JSON: a file of another kind, not bad lines
            reason = f"the file is not JSON Lines: none of its lines is a JSON value; the first: {first_fault}"
            raise FileRejectedError(reason)

    def _opened(self) -> _SkipBom:
        """The reader of the file's text after the faults of its start (a second BOM, not UTF-8, empty)."""
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
        return _SkipBom(self._tap)

    def _shapes(self, values: _Values, found: _Found) -> Iterator[Any]:
        reader = self._opened()
        stripped = self._head.lstrip(_WHITESPACE)
        first = stripped[:1]
        if first == b"[":
            self._where = _ITEMS
        elif _ORDERS_FIRST.match(self._head):
            self._where = _ORDERS
        elif first == b"{":
            self._where = _VALUES
            yield from self._objects(values(reader, _VALUES, found), found)
            return
        else:
            raise FileRejectedError(_scalar_reason(stripped))
        yield from values(reader, self._where, found)

    def _objects(self, values: Iterator[Any], found: _Found) -> Iterator[Any]:
        value = next(values)
        second = next(values, _END)
        if second is not _END:  # several top-level objects: JSON Lines in a .json file
            yield value
            yield second
            yield from values
            return
        if self._size_hint is not None and self._size_hint > WHOLE_OBJECT_LIMIT:
            raise FileRejectedError('put "orders" first in files over 64 MiB, or use JSON Lines')
        if not isinstance(value, dict) or "orders" not in value:
            raise FileRejectedError('the top-level object has no "orders" key')
        orders = value["orders"]
        if not isinstance(orders, list):
            raise FileRejectedError(f'"orders" is {_json_kind(orders)}, not a list')
        if found:  # keys held twice outside the records are no record's
            if any(obj is value and key == "orders" for obj, key in found):
                raise FileRejectedError(_ORDERS_TWICE.format(where=""))
            found[:] = [(obj, key) for obj, key in found if obj is not value]
            for key, other in value.items():
                if key != "orders":
                    _take_duplicates(other, found)
        yield from orders


def _located_reason(stop: _LocatedParseError, subject: str, where: str, text: str) -> str:
    """Why the exact parser stopped, for a person: `subject` is "file" or "line", `where` says where it stopped
    ("line L, column C"), `text` is the text from there."""
    if stop.kind == "deep":
        return (
            f"the {subject} nests objects and arrays more than {MAX_DEPTH} levels deep in a record ({where}): "
            "salesdq reads records of up to that depth, and DynamoDB stores 32 levels"
        )
    if stop.kind == "orders":
        return _ORDERS_TWICE.format(where=f" ({where})")
    if stop.kind == "more":
        return f"the {subject} is not valid JSON ({where}: more data after the JSON value)"
    if stop.kind == "control":
        detail = "a control character in a string; write it as \\n, \\t or \\u0000"
        return f"the {subject} is not valid JSON ({where}: {detail})"
    if stop.kind == "escape":
        return f"the {subject} is not valid JSON ({where}: a backslash escape JSON does not have)"
    word = re.match(r"-?[A-Za-z]+", text)
    if word and word.group() in ("NaN", "Infinity", "-Infinity"):
        name = word.group().lstrip("-")
        return f"the {subject} is not valid JSON ({where}: JSON has no {name}; write null or a string)"
    if _JSON_NUMBER.fullmatch(stop.symbol) and not _readable_number(stop.symbol):
        if _INTEGER.fullmatch(stop.symbol):
            return (
                f"the {subject} has a number of more than {json_codec.MAX_INT_DIGITS:,} digits ({where}): salesdq "
                "reads numbers of up to that many digits, and DynamoDB stores 38; write it as a string"
            )
        return (
            f"the {subject} has a number too large to read ({where}): DynamoDB stores numbers of up to 38 digits "
            "between 1E-130 and 1E+126; write it as a string"
        )
    token = (stop.symbol or text[:1])[:12]
    if not token:
        return f"the {subject} is not valid JSON ({where})"
    return f"the {subject} is not valid JSON ({where}: unexpected {token!r})"


class _LineReader:
    """One JSON Lines line as an entry: json's own parser (exact in everything salesdq needs: numbers as
    json_codec reads them, lone surrogates kept) noting keys given twice; when it cannot read a line, the exact
    parser says why, as it says it for a file."""

    def __init__(self) -> None:
        self._found = _Found()
        self._decoder = json_codec.decoder(object_pairs_hook=self._object)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):  # a key given twice: note which, on the object the record holds
            built = {}
            for key, value in pairs:
                if key in built:
                    self._found.append((built, key))
                built[key] = value
        return built

    def entry(self, text: str, number: int) -> Entry:
        self._found.clear()
        try:
            record = self._decoder.decode(text)
        except (ValueError, ArithmeticError, RecursionError) as error:  # ArithmeticError: Decimal's
            return text, Findings(unreadable=_line_reason(text, number, error))
        if text.count("[") + text.count("{") > MAX_DEPTH and levels(record) > MAX_DEPTH:
            return text, Findings(unreadable=_line_too_deep(number))
        return record, _findings(record, self._found)


def _line_reason(text: str, number: int, error: Exception) -> str:
    """Why json could not read a line (`error`), as the exact parser names it for a file."""
    try:
        values = list(_exact_values(io.BytesIO(text.encode("utf-8")), _VALUES, _Found()))
    except _LocatedParseError as stop:
        where = f"line {number}, column {stop.offset + 1}"
        return _located_reason(stop, "line", where, text[stop.offset : stop.offset + 80])
    except FileRejectedError:  # the exact parser's TRUNCATED
        return f"the line is not valid JSON (line {number}: it ends inside a JSON value)"
    if isinstance(error, RecursionError):
        return _line_too_deep(number)
    if len(values) > 1 and isinstance(error, json.JSONDecodeError):
        where = f"line {number}, column {error.pos + 1}"
        return _located_reason(_LocatedParseError(error.pos, "more"), "line", where, "")
    return f"the line is not valid JSON (line {number})"


def _line_too_deep(number: int) -> str:
    return _located_reason(_LocatedParseError(0, "deep"), "line", f"line {number}", "")


def _split_lines(reader: _Readable) -> Iterator[bytes]:
    """The lines of a stream, without their "\\n" (a "\\r" before it is the line's), however long."""
    parts: list[bytes] = []
    while data := reader.read(_BLOCK):
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            parts.append(data[start:end])
            yield b"".join(parts)
            parts = []
            start = end + 1
        if start < len(data):
            parts.append(data[start:])
    if parts:
        yield b"".join(parts)


def _findings(record: Any, found: _Found) -> Findings:
    return Findings(_take_duplicates(record, found)) if found else NOTHING


def _readable_number(text: str) -> bool:
    try:
        Decimal(text) if not _INTEGER.fullmatch(text) else int(text)
    except (ValueError, ArithmeticError):
        return False
    return True


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable()) and stream.tell() == 0
    except (AttributeError, OSError, ValueError):
        return False


def _rewind(stream: IO[bytes]) -> Opener:
    def reopen() -> IO[bytes]:
        stream.seek(0)
        return stream

    return reopen


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


# Where the records are: every top-level value (JSON Lines; a top-level object read whole), the items of a
# top-level array, the items of the top-level object's "orders" array.
_VALUES, _ITEMS, _ORDERS = "values", "items", "orders"
_END = object()
_PREFIX = {_VALUES: "", _ITEMS: "item", _ORDERS: "orders.item"}
_RECORD_DEPTH = {_VALUES: 0, _ITEMS: 1, _ORDERS: 2}  # containers around a record


class _Found(list[tuple[dict[str, Any], str]]):
    """(object, key) for every key an object was given twice while a value was built."""

    __slots__ = ()


def _fast_values(reader: _Readable, where: str, found: _Found) -> Iterator[Any]:
    """The C parser's values at `where`, each with the keys objects were given twice so far (map_type). The
    C parser builds every value of a block before the first is yielded, so the list may hold keys of values
    yielded later: _take_duplicates takes each value's own."""

    class _Object(dict[str, Any]):
        __slots__ = ()

        def __setitem__(self, key: str, value: Any, _set: Any = dict.__setitem__, _found: _Found = found) -> None:
            if key in self:
                replaced = dict.__getitem__(self, key)
                if _found and isinstance(replaced, dict | list):  # no record holds it now, nor its keys
                    _take_duplicates(replaced, _found)
                _found.append((self, key))
            _set(self, key, value)

    values: Iterator[Any] = ijson.items(
        reader, _PREFIX[where], multiple_values=where == _VALUES, use_float=False, map_type=_Object, buf_size=_BLOCK
    )
    return values


def _take_duplicates(record: Any, found: _Found) -> tuple[str, ...]:
    """The paths, within record, of the keys its objects were given twice; those are taken out of found."""
    keys: dict[int, list[str]] = {}
    for obj, key in found:
        keys.setdefault(id(obj), []).append(key)
    paths: list[str] = []
    taken: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(record, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if id(value) in keys:
                taken.add(id(value))
                paths += [path_text((*path, key)) for key in dict.fromkeys(keys[id(value)])]
            stack += [(v, (*path, k)) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(v, (*path, i)) for i, v in reversed(list(enumerate(value)))]
    if taken:
        found[:] = [(obj, key) for obj, key in found if id(obj) not in taken]
    return tuple(paths)


def _exact_values(reader: _Readable, where: str, found: _Found) -> Iterator[Any]:
    """The exact parser's values at `where`: ijson's pure-python lexer and parser, every token checked and
    its character offset kept (_Tokens), and our own builder (no path kept, so deep nesting costs no memory)."""
    tokens = _Tokens()
    built: list[Any] = []
    builder = _Builder(where, tokens, built, found)
    parser = _exact.utf8_encoder(_exact.Lexer(tokens.between(_exact.parse_value(builder, True, False))))
    try:
        while data := reader.read(_BLOCK):
            parser.send(data)
            yield from built
            built.clear()
        parser.close()
    except ijson.IncompleteJSONError:
        raise FileRejectedError(TRUNCATED) from None
    except ijson.JSONError:
        raise _LocatedParseError(tokens.offset, "json", tokens.symbol) from None
    except ValueError as error:  # json's scanstring, on a string's text: its message names the fault
        at = tokens.offset + int(getattr(error, "pos", 0))
        raise _LocatedParseError(at, "control" if "control" in str(error) else "escape", tokens.symbol) from None
    yield from built


_LITERALS = ("true", "false", "null")
_NUMBER_START = frozenset("-+.0123456789")


class _Tokens:
    """Between the lexer and the parser: keeps the offset and text of the token the parser is on, and
    refuses what the parser would let through or misname: a number JSON does not write (+1, 1.e5), and a
    word that only begins a literal ("tru" then more: not a truncated file, as the parser would say)."""

    def __init__(self) -> None:
        self.offset = 0
        self.symbol = ""

    def between(self, target: Any) -> Any:
        def forward() -> Generator[None, tuple[int, Any], None]:
            held: tuple[int, str] | None = None
            while True:
                offset, symbol = yield
                if held is not None:
                    if offset < 0:  # the file ended on it
                        raise ijson.IncompleteJSONError("truncated")
                    raise _LocatedParseError(held[0], "json", held[1])
                if offset >= 0:
                    self.offset, self.symbol = offset, symbol
                    first = symbol[0]
                    if first in _NUMBER_START and not _JSON_NUMBER.fullmatch(symbol):
                        raise _LocatedParseError(offset, "json", symbol)
                    if first in "tfn" and symbol not in _LITERALS and any(w.startswith(symbol) for w in _LITERALS):
                        held = (offset, symbol)  # what comes next says whether the file was cut here
                        continue
                try:
                    target.send((offset, symbol))
                except StopIteration:
                    return

        coroutine = forward()
        next(coroutine)
        return coroutine


class _Builder:
    """Builds the values at `where` from parser events, as ijson.items would, and notes keys given twice."""

    def __init__(self, where: str, tokens: _Tokens, built: list[Any], found: _Found) -> None:
        self._where = where
        self._tokens = tokens
        self._built = built
        self._record_depth = _RECORD_DEPTH[where]
        # per open container: [the container built (None outside the values to build), its pending key, is_map]
        self._stack: list[list[Any]] = []
        self._found = found
        self._tops = 0
        self._orders_keys = 0

    def send(self, event: tuple[str, Any]) -> None:
        kind, value = event
        if kind == "map_key":
            if value == "orders" and len(self._stack) == 1 and self._where == _ORDERS:
                self._orders_keys += 1
                if self._orders_keys > 1:  # its items would read as more of the first list's
                    raise _LocatedParseError(self._tokens.offset, "orders")
            self._stack[-1][1] = value
        elif kind in ("start_map", "start_array"):
            depth = len(self._stack)
            if depth - self._record_depth > MAX_DEPTH + 2:  # the exact bound is check_depth's, on the record
                raise _LocatedParseError(self._tokens.offset, "deep")
            if not depth:
                self._top()
            building = self._stack[-1][0] is not None if depth > self._record_depth else self._at_record()
            container: dict[str, Any] | list[Any] | None = None
            if building:
                container = {} if kind == "start_map" else []
            self._stack.append([container, None, kind == "start_map"])
        elif kind in ("end_map", "end_array"):
            self._place(self._stack.pop()[0])
        else:
            if not self._stack:
                self._top()
            self._place(value)

    def _top(self) -> None:
        self._tops += 1
        if self._tops > 1 and self._where != _VALUES:
            raise _LocatedParseError(self._tokens.offset, "more")

    def _at_record(self) -> bool:
        """Whether a value starting now, at its container depth, is one to build (a record, or for _VALUES a
        top-level value)."""
        stack = self._stack
        if len(stack) != self._record_depth:
            return False
        if self._where == _ITEMS:
            return not stack[0][2]
        if self._where == _ORDERS:
            return stack[0][2] and stack[0][1] == "orders" and not stack[1][2]
        return True

    def _place(self, value: Any) -> None:
        """A value complete: a record to hand on, part of one, or (outside the records) nothing."""
        if len(self._stack) == self._record_depth:
            if self._at_record():
                self._built.append(value)
            return
        if len(self._stack) < self._record_depth:
            return
        parent, key, is_map = self._stack[-1]
        if parent is None:
            return
        if not is_map:
            parent.append(value)
            return
        if key in parent:
            self._found.append((parent, key))
        parent[key] = value


def _locate(reopen: Opener, offset: int) -> tuple[int, int, str]:
    """(line, column, the text from there) of a character offset in the file's text after the BOM."""
    stream = reopen()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    seen, line, column, first = 0, 1, 1, True
    while data := stream.read(_BLOCK):
        text = decoder.decode(data)
        if first:
            text, first = text.removeprefix("\ufeff"), False
        if seen + len(text) > offset:
            at = offset - seen
            newlines = text.count("\n", 0, at)
            last = text.rfind("\n", 0, at)
            line += newlines
            column = at - last if last >= 0 else column + at
            return line, column, text[at : at + 80].split("\n", 1)[0]
        line += text.count("\n")
        last = text.rfind("\n")
        column = len(text) - last if last >= 0 else column + len(text)
        seen += len(text)
    return line, column, ""


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
        value = json_codec.loads(start.decode("utf-8"))
    except ValueError:
        snippet = start[:12].decode("utf-8", "replace")
        return f"the file is not valid JSON (it starts with {snippet!r})"
    return f"the top level is {_json_kind(value)}, not records: {expected}"


def check_depth(index: int, record: Any, text: str) -> None:
    """FileRejectedError if record (staged as `text`) nests objects and arrays deeper than MAX_DEPTH."""
    if text.count("[") + text.count("{") > MAX_DEPTH and levels(record) > MAX_DEPTH:
        raise too_deep(index)


def too_deep(index: int) -> FileRejectedError:
    return FileRejectedError(
        f"the record at index {index} nests objects and arrays more than {MAX_DEPTH} levels deep: "
        "salesdq reads records of up to that depth, and DynamoDB stores 32 levels"
    )


def levels(value: Any) -> int:
    """The deepest level an object or array sits at, counting a record's own fields as level 1 (0: none)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        value, level = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                deepest = max(deepest, level + 1)
                stack.append((child, level + 1))
    return deepest
