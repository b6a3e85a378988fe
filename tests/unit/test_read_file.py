"""The streaming reader: accepted shapes, every file-level fault, the byte fingerprint, flat memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.contract import default
from services.domain.chunk_entry import NOTHING, Findings
from services.ingest import read_file
from services.ingest.read_file import FileRejectedError, SalesFile
from services.ingest.split import Layout, split

BOM = b"\xef\xbb\xbf"
EXPECTED = 'expected {"orders": [...]}, an array of records, or JSON Lines'


def read(data: bytes, name: str = "incoming/f.json", size_hint: int | None = None) -> tuple[list, SalesFile]:
    sales = SalesFile(io.BytesIO(data), name, len(data) if size_hint is None else size_hint)
    return list(sales.records()), sales


def reject(data: bytes, name: str = "incoming/f.json", size_hint: int | None = None) -> tuple[str, SalesFile]:
    sales = SalesFile(io.BytesIO(data), name, len(data) if size_hint is None else size_hint)
    with pytest.raises(FileRejectedError) as caught:
        list(sales.records())
    assert caught.value.reason == str(caught.value)
    return caught.value.reason, sales


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ accepted shapes

RECORDS = [{"order-info": {"OrderId": "1"}}, {"order-info": {"OrderId": "2"}}, {"x": [1, 2.5, None]}]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (json.dumps({"orders": RECORDS}).encode(), "incoming/a.json"),
        (json.dumps({"meta": {"v": 1}, "orders": RECORDS, "tail": True}).encode(), "incoming/a.json"),
        (json.dumps(RECORDS).encode(), "incoming/a.json"),
        (json.dumps(RECORDS, indent=2).encode(), "incoming/a.json"),
        ("\n".join(json.dumps(r) for r in RECORDS).encode(), "incoming/a.jsonl"),
        ("\n".join(json.dumps(r) for r in RECORDS).encode(), "incoming/a.json"),  # JSON Lines in a .json
        (b"  \n" + json.dumps({"orders": RECORDS}).encode() + b"\n", "incoming/a.json"),
    ],
    ids=["orders", "orders-not-first", "array", "array-indented", "jsonl", "jsonl-in-json", "padded"],
)
def test_accepted_shapes_yield_the_records_in_order(data, name):
    records, sales = read(data, name)
    assert records == RECORDS
    assert sales.fingerprint == sha(data)
    assert sales.size == len(data)


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (json.dumps({"orders": RECORDS}).encode(), "incoming/a.json"),
        (json.dumps(RECORDS).encode(), "incoming/a.json"),
        (b"\n".join(json.dumps(r).encode() for r in RECORDS), "incoming/a.jsonl"),
        (b"\n".join(json.dumps(r).encode() for r in RECORDS), "incoming/a.json"),
    ],
    ids=["orders", "array", "jsonl", "jsonl-in-json"],
)
def test_bom_is_tolerated_in_every_shape(body, name):
    records, sales = read(BOM + body, name)
    assert records == RECORDS
    assert sales.fingerprint == sha(BOM + body)  # the fingerprint covers the BOM too
    assert sales.size == len(BOM) + len(body)


def test_a_jsonl_file_is_json_lines_whatever_its_first_line():
    records, _ = read(json.dumps({"orders": RECORDS}).encode(), "incoming/a.jsonl")
    assert records == [{"orders": RECORDS}]  # one line, one record: the contract judges it


def test_json_lines_blank_lines_and_crlf_are_skipped():
    data = b"\n\n" + b"\r\n\r\n".join(json.dumps(r).encode() for r in RECORDS) + b"\n\n  \n"
    records, _ = read(data, "incoming/a.jsonl")
    assert records == RECORDS


def test_json_lines_may_hold_non_objects_for_the_contract_to_judge():
    records, _ = read(b'{"a":1}\n[1]\n"s"\nnull\n', "incoming/a.jsonl")
    assert records == [{"a": 1}, [1], "s", None]


def test_an_empty_array_or_orders_list_yields_no_records():
    assert read(b"[]")[0] == []
    assert read(b'{"orders": []}')[0] == []


def test_numbers_are_exact_integers_and_decimals():
    records, _ = read(b'[{"q": 4, "p": 2.5, "n": -7, "e": 1e3, "d": 0.1, "t": 3.0}]')
    assert records == [{"q": 4, "p": Decimal("2.5"), "n": -7, "e": Decimal("1E+3"), "d": Decimal("0.1"), "t": 3}]
    assert type(records[0]["q"]) is int
    assert [type(records[0][k]) for k in "ped"] == [Decimal] * 3
    assert str(records[0]["t"]) == "3.0"  # written 3.0: a Decimal that keeps its notation


def test_unicode_content_is_decoded():
    data = json.dumps([{"name": "Zoë 北京 🎉"}], ensure_ascii=False).encode("utf-8")
    assert read(data)[0] == [{"name": "Zoë 北京 🎉"}]


# ------------------------------------------------------------------ file-level faults


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"   \n\t\r\n ", "the file holds only whitespace"),
        (BOM, "the file holds only whitespace"),
        (BOM + b"\n\n", "the file holds only whitespace"),
        (b"[{", "the file is truncated (it ends inside a JSON value)"),
        (b'[{"a": 1}, {"b":', "the file is truncated (it ends inside a JSON value)"),
        (b'{"orders": [{"a": 1}', "the file is truncated (it ends inside a JSON value)"),
        (b'{"x": 1, "orders": [', "the file is truncated (it ends inside a JSON value)"),
        (b'{"x": 1}', 'the top-level object has no "orders" key'),
        (b'{"orders": 5}', '"orders" is a number, not a list'),
        (b'{"x": 0, "orders": {"a": 1}}', '"orders" is an object, not a list'),
        (b'{"x": 0, "orders": "abc"}', '"orders" is a string, not a list'),
        (b'{"x": 0, "orders": null}', '"orders" is null, not a list'),
        (b'{"x": 0, "orders": true}', '"orders" is a boolean, not a list'),
        (b"42", f"the top level is a number, not records: {EXPECTED}"),
        (b'"orders"', f"the top level is a string, not records: {EXPECTED}"),
        (b"null", f"the top level is null, not records: {EXPECTED}"),
        (b"true", f"the top level is a boolean, not records: {EXPECTED}"),
        (b"hello world", "the file is not valid JSON (it starts with 'hello world')"),
        (BOM + BOM + b"[]", "the file is not valid JSON (it starts with two byte-order marks)"),
    ],
)
def test_file_level_faults_have_readable_reasons(data, reason):
    assert reject(data)[0] == reason


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'[{"a": 1}] trailing', "incoming/f.json"),
        (b'[{"a": 1},, {"b": 2}]', "incoming/f.json"),
        (b'{"a": 1}\n{oops}\n', "incoming/f.json"),
        (b'{"a": 1}\n{"b": 2} x\n', "incoming/f.json"),
        (b"[{'a': 1}]", "incoming/f.json"),
    ],
)
def test_invalid_json_after_a_good_start(data, name):
    reason, _ = reject(data, name)
    assert reason.startswith("the file is not valid JSON (")
    assert reason.endswith(")")


def test_not_utf8_reports_the_offset():
    reason, _ = reject(b'[{"name": "caf\xe9"}]')  # latin-1 e-acute
    assert reason == "the file is not UTF-8 text (invalid byte at offset 14)"


def test_not_utf8_offset_counts_the_bom():
    reason, _ = reject(BOM + b'[{"name": "caf\xe9"}]')
    assert reason == "the file is not UTF-8 text (invalid byte at offset 17)"


def test_not_utf8_beyond_the_head_is_found_while_streaming():
    good = b"[" + b'{"a": 1},' * 10_000
    data = good + b'{"a": "\xff"}]'
    assert len(good) > read_file.HEAD_BYTES
    reason, _ = reject(data)
    assert reason == f"the file is not UTF-8 text (invalid byte at offset {len(good) + 7})"


def test_utf16_is_not_utf8():
    reason, _ = reject(json.dumps([{"a": 1}]).encode("utf-16"))
    assert reason.startswith("the file is not UTF-8 text")


def test_big_object_without_orders_first_must_use_a_streamable_shape():
    reason, _ = reject(b'{"x": 1, "orders": []}', size_hint=read_file.WHOLE_OBJECT_LIMIT + 1)
    assert reason == 'put "orders" first in files over 64 MiB, or use JSON Lines'
    # "orders" first streams at any size
    assert read(b'{"orders": [1]}', size_hint=read_file.WHOLE_OBJECT_LIMIT + 1)[0] == [1]


def test_records_before_a_fault_are_yielded_then_the_file_is_rejected():
    sales = SalesFile(io.BytesIO(b'[{"a": 1}, {"b": 2}, {"c":'), "incoming/f.json")
    seen = []
    with pytest.raises(FileRejectedError, match="truncated"):
        for rec in sales.records():
            seen.append(rec)
    assert seen == [{"a": 1}, {"b": 2}]


# ------------------------------------------------------------------ fingerprint


def test_fingerprint_is_sha256_of_every_byte_of_a_large_file():
    data = b"[" + b",".join(b'{"i": %d, "pad": "%s"}' % (i, b"x" * 100) for i in range(30_000)) + b"]"
    assert len(data) > 3 * 1024 * 1024
    records, sales = read(data)
    assert len(records) == 30_000
    assert sales.fingerprint == sha(data)
    assert sales.size == len(data)


FAULTY_FILES = {
    "truncated-mid-file": b"[" + b'{"a": 1},' * 20_000 + b'{"b": ',
    "garbage-mid-file": b"[" + b'{"a": 1},' * 20_000 + b"@@@]",
    "orders-not-list": b'{"x": 1, "orders": "no"}',
    "no-orders-key": b'{"x": 1}',
    "empty": b"",
    "whitespace": b"  \n ",
    "not-utf8-in-head": b'[{"a": "\xff"}]' + b" " * 100_000,
    "not-utf8-mid-file": b"[" + b'{"a": 1},' * 20_000 + b'{"a": "\xff"}]' + b" " * 100_000,
    "scalar-top-level": b"42" + b" " * 10,
    "not-json": b"hello there",
    "double-bom": BOM + BOM + b"[]",
}


@pytest.mark.parametrize("name", sorted(FAULTY_FILES))
def test_fingerprint_covers_every_byte_even_when_rejected(name):
    """A rejected file is kept under quarantine/files/<fingerprint>/: the fingerprint must be the file's own."""
    data = FAULTY_FILES[name]
    _, sales = reject(data)
    assert sales.fingerprint == sha(data)
    assert sales.size == len(data)


# ------------------------------------------------------------------ streaming


class GeneratedFile(io.RawIOBase):
    """A file-like object whose bytes are produced on demand; counts what has been pulled."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""
        self.pulled = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        parts, have = [self._buffer], len(self._buffer)
        while size < 0 or have < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            parts.append(piece)
            have += len(piece)
        data = b"".join(parts)
        out, self._buffer = (data, b"") if size < 0 else (data[:size], data[size:])
        self.pulled += len(out)
        return out


def orders_stream(count: int, pad: bytes = b"", step: int = 500) -> Iterator[bytes]:
    yield b'{"orders": ['
    for start in range(0, count, step):
        stop = min(count, start + step)
        body = b",".join(b'{"order-info": {"OrderId": "O%d", "pad": "%s"}}' % (i, pad) for i in range(start, stop))
        yield body + (b"," if stop < count else b"")
    yield b"]}"


def test_records_are_read_lazily_from_a_200k_record_stream():
    count = 200_000
    source = GeneratedFile(orders_stream(count))
    sales = SalesFile(source, "incoming/big.json")
    window = read_file.HEAD_BYTES + 2 * 1024 * 1024  # head + read-ahead the reader may hold
    seen = 0
    for seen, rec in enumerate(sales.records(), start=1):
        if seen in (1, 1_000, 50_000, 150_000):
            assert rec["order-info"]["OrderId"] == f"O{seen - 1}"
            # a record's own offset is ~ seen * 48 bytes; the reader must not be far ahead of it
            assert source.pulled <= seen * 60 + window, (seen, source.pulled)
    assert seen == count
    assert sales.size == source.pulled > 8 * 1024 * 1024


def test_memory_stays_flat_while_iterating():
    count, pad = 20_000, b"x" * 2_000  # ~40 MB of records if they were all held
    tracemalloc.start()
    try:
        sales = SalesFile(GeneratedFile(orders_stream(count, pad, step=50)), "incoming/big.json")
        seen = sum(1 for _ in sales.records())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert sales.size > 40_000_000
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes: records are being held"


def test_numbers_past_64_bits_are_read_exactly() -> None:
    """A 21-digit id, 2**63 and 10**25 were 'more than 19 digits' for the whole file; they are numbers."""
    records, _ = read(b'{"orders": [{"order-info": {"OrderId": 123456789012345678901}}, {"qty": 9223372036854775808}]}')
    assert records == [{"order-info": {"OrderId": 123456789012345678901}}, {"qty": 2**63}]
    records, _ = read(b'[{"barcode": 10000000000000000000000000, "w": 12345678901234567890.123}]', "incoming/f.json")
    assert records == [{"barcode": 10**25, "w": Decimal("12345678901234567890.123")}]


# ------------------------------------------------------------------ where a file stops being JSON

INVALID = "the file is not valid JSON"
CONTROL = "a control character in a string; write it as \\n, \\t or \\u0000"


def _readable(reason: str) -> None:
    assert "\n" not in reason and len(reason) < 300, reason
    for internal in ("Traceback", "Error", "ijson", "yajl", "b'", "Exception", "Unexpected symbol"):
        assert internal not in reason, reason


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b'[{"a": 1},, {"b": 2}]', "f.json", "the file is not valid JSON (line 1, column 11: unexpected ',')"),
        (b'[\n  {"a": 1},\n  {"b": oops}\n]', "f.json", f"{INVALID} (line 3, column 9: unexpected 'oops')"),
        (b'{"orders": [\r\n{"a": 1}\r\n{"b": 2}]}', "f.json", f"{INVALID} (line 3, column 1: unexpected '{{')"),
        (b'[{"a": 1}] trailing', "f.json", "the file is not valid JSON (line 1, column 12: unexpected 'trailing')"),
        (b'[{"a": 1}] [2]', "f.json", "the file is not valid JSON (line 1, column 12: more data after the JSON value)"),
        (b'{"a": 1}\n{oops}\n', "f.json", "the file is not valid JSON (line 2, column 2: unexpected 'oops')"),
        (b'{"a": 1}\n{"b": 2} x\n', "f.json", "the file is not valid JSON (line 2, column 10: unexpected 'x')"),
        (b"[{'a': 1}]", "f.json", 'the file is not valid JSON (line 1, column 3: unexpected "\'")'),
        (BOM + b'[{"a": 1}] x', "f.json", "the file is not valid JSON (line 1, column 12: unexpected 'x')"),
        (b'[{"q": 01}]', "f.json", "the file is not valid JSON (line 1, column 8: unexpected '01')"),
        (b'[{"q": +1}]', "f.json", "the file is not valid JSON (line 1, column 8: unexpected '+1')"),
        (b'[{"q": 1.e5}]', "f.json", "the file is not valid JSON (line 1, column 8: unexpected '1.e5')"),
        (b'[{"q" 1}]', "f.json", "the file is not valid JSON (line 1, column 7: unexpected '1')"),
        (b'[{"q": tru}]', "f.json", "the file is not valid JSON (line 1, column 8: unexpected 'tru')"),
        (b'[{"q": "a\tb"}]', "f.json", f"{INVALID} (line 1, column 10: {CONTROL})"),
        (b'{"a": 1}\n{"q": "\\ud800", "r": "a\tb"}', "f.json", f"{INVALID} (line 2, column 24: {CONTROL})"),
        (b'[{"q": "a\\qb"}]', "f.json", f"{INVALID} (line 1, column 10: a backslash escape JSON does not have)"),
        (b'[{"q": "\\u12"}]', "f.json", f"{INVALID} (line 1, column 10: a backslash escape JSON does not have)"),
    ],
)
def test_invalid_json_names_the_line_and_column(data, name, reason):
    """Columns count characters from 1; a CRLF's carriage return ends its line's count."""
    got, sales = reject(data, "incoming/" + name)
    assert got == reason
    _readable(got)
    assert sales.fingerprint == sha(data)


LINE = "the line is not valid JSON"
DEEP = "the line nests objects and arrays more than 100 levels deep"


def test_a_bad_line_in_a_20000_line_json_lines_file_is_its_own_record_named_by_its_line():
    lines = [json.dumps({"order-info": {"OrderId": str(i)}, "pad": "é" * 20}) for i in range(20_000)]
    lines[17_345] = lines[17_345][:-1] + ",}"
    data = "\n".join(lines).encode()
    found = entries(data, "incoming/big.jsonl")
    assert len(found) == 20_000
    assert found[17_344] == (json.loads(lines[17_344]), NOTHING)
    assert found[17_346] == (json.loads(lines[17_346]), NOTHING)
    reason = f"{LINE} (line 17346, column {len(lines[17_345])}: unexpected '}}')"
    assert found[17_345] == (lines[17_345], Findings(unreadable=reason))  # its raw text, and why


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{oops}", f"{LINE} (line 3, column 2: unexpected 'oops')"),
        (b'{"n": NaN}', f"{LINE} (line 3, column 7: JSON has no NaN; write null or a string)"),
        (b'{"n": -Infinity}', f"{LINE} (line 3, column 7: JSON has no Infinity; write null or a string)"),
        (b'{"n": ' + b"9" * 10_001 + b"}", "the line has a number of more than 10,000 digits (line 3, column 7): "),
        (b'{"n": 1e999999999999999999999}', "the line has a number too large to read (line 3, column 7): "),
        (b'{"d": ' + b"[" * 101 + b"]" * 101 + b"}", DEEP),
        (b'{"d": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", DEEP),
        (b'{"a": 1} {"b": 2}', f"{LINE} (line 3, column 10: more data after the JSON value)"),
        (b'{"a": "x', f"{LINE} (line 3: it ends inside a JSON value)"),
        (b'{"a": "x\ty"}', f"{LINE} (line 3, column 9: {CONTROL})"),
        (b'{"a": "\\q"}', f"{LINE} (line 3, column 8: a backslash escape JSON does not have)"),
        (b'{"q": 01}', f"{LINE} (line 3, column 7: unexpected '01')"),
        ("{'é': 1}\r".encode(), f'{LINE} (line 3, column 2: unexpected "\'")'),
    ],
)
def test_in_json_lines_a_line_json_cannot_read_is_quarantined_alone_with_its_text_and_why(line, reason):
    good = json.dumps({"order-info": {"OrderId": "1"}}).encode()
    data = good + b"\n\n" + line + b"\n" + good + b"\r\n"
    found = entries(data, "incoming/f.jsonl")
    assert [record for record, _ in found] == [json.loads(good), line.decode().removesuffix("\r"), json.loads(good)]
    assert found[0][1] == found[2][1] == NOTHING
    why = found[1][1].unreadable
    assert why is not None and why.startswith(reason), why
    _readable(why)
    assert stage(data, "incoming/f.jsonl") == 3  # staged as three records: the bad line is one


@pytest.mark.parametrize("data", [b"these are the orders\nfor monday\n", b"a,b,c\n1,2,3", b'{"n": NaN}\n\n'])
def test_a_json_lines_file_none_of_whose_lines_is_json_is_rejected_whole(data):
    reason, sales = reject(data, "incoming/f.jsonl")
    assert reason.startswith("the file is not JSON Lines: none of its lines is a JSON value; the first: the line ")
    assert "(line 1, column " in reason
    _readable(reason)
    assert sales.fingerprint == sha(data)


def test_a_json_lines_line_is_parsed_as_json_reads_it_exactly():
    data = '{"n": 0.1, "i": 123456789012345678901234567890, "s": "\\ud800 \\ud83d\\ude00 é", "k": 1, "k": 2}\n'
    [(record, findings)] = entries(data.encode(), "incoming/f.jsonl")
    assert record == {"n": Decimal("0.1"), "i": 123456789012345678901234567890, "s": "\ud800 \U0001f600 é", "k": 2}
    assert findings == Findings(("k",))


@pytest.mark.parametrize(
    ("data", "token"),
    [(b'[{"n": NaN}]', "NaN"), (b'[{"n": Infinity}]', "Infinity"), (b'[{"n": -Infinity}]', "Infinity")],
)
def test_nan_and_infinity_are_not_json_values(data, token):
    reason, _ = reject(data)
    assert reason == f"the file is not valid JSON (line 1, column 8: JSON has no {token}; write null or a string)"
    reason, _ = reject(b'{"n": 1}\n\n{"n": ' + data[7:-2] + b"}\n", "incoming/f.json")
    assert reason.startswith(f"the file is not valid JSON (line 3, column 7: JSON has no {token};")


def test_a_number_of_5000_digits_is_read_and_one_of_more_than_10000_rejects_the_file_saying_where():
    records, _ = read(b'[{"n": ' + b"7" * 5000 + b"}]")
    assert records == [{"n": int("7" * 5000)}]
    records, _ = read(b'[{"n": -' + b"7" * 10_000 + b"}]")
    assert records == [{"n": -int("7" * 10_000)}]
    data = b'[{"a": 1},\n{"n": ' + b"7" * 10_001 + b"}]"
    reason, sales = reject(data)
    assert reason.startswith("the file has a number of more than 10,000 digits (line 2, column 7): ")
    assert reason.endswith("write it as a string")
    assert sales.fingerprint == sha(data)


def test_a_number_no_decimal_holds_rejects_the_file_saying_where():
    reason, _ = reject(b'[{"n": 1e999999999999999999999}]')
    assert reason.startswith("the file has a number too large to read (line 1, column 8): ")


def test_every_file_reason_is_readable():
    deep = b"[" + b"[" * 5_000 + b"]" * 5_000 + b"]"
    faults = (b"[1,,]", b'{"a":1}\n{"b"', b"[NaN]", b"[" + b"9" * 10_001 + b"]", deep, b'["\x01"]', b'["\\x"]')
    for data in faults:
        _readable(reject(data)[0])


# ------------------------------------------------------------------ exact numbers, exact text


def test_numbers_beyond_64_bits_and_17_digits_are_exact_in_every_shape():
    body = b'{"order-info": {"OrderId": 123456789012345678901}, "w": 0.12345678901234567890123, "e": 1.5e400}'
    expected = {
        "order-info": {"OrderId": 123456789012345678901},
        "w": Decimal("0.12345678901234567890123"),
        "e": Decimal("1.5E+400"),
    }
    for data, name in ((b'{"orders": [' + body + b"]}", "f.json"), (b"[" + body + b"]", "f.json"), (body, "f.jsonl")):
        assert read(data, "incoming/" + name)[0] == [expected]


@pytest.mark.parametrize(
    ("escaped", "text"),
    [
        (b"\\ud800", "\ud800"),  # the C parser made this "?"
        (b"\\udc00", "\udc00"),  # ... failed on this
        (b"\\ud800\\ud800", "\ud800\ud800"),  # ... and read this as U+10000
        (b"\\ud800x", "\ud800x"),
        (b"\\ud83d\\ude00", "\U0001f600"),  # a pair is one character
        (b"\\\\ud800", "\\ud800"),  # an escaped backslash and the letters ud800
    ],
)
def test_surrogate_escapes_are_read_exactly(escaped, text):
    data = b'[{"a": 1}, {"s": "' + escaped + b'", "k": {"' + escaped + b'": 2}}]'
    records, sales = read(data)
    assert records == [{"a": 1}, {"s": text, "k": {text: 2}}]
    assert sales.fingerprint == sha(data)


def test_a_lone_surrogate_deep_in_a_file_is_read_exactly_and_no_record_twice():
    head = b",".join(b'{"i": %d, "pad": "%s"}' % (i, b"x" * 100) for i in range(20_000))
    data = b"[" + head + b', {"s": "\\udc00"}, {"i": 20001}]'
    assert len(head) > 10 * read_file.HEAD_BYTES
    records, sales = read(data)
    assert [r.get("i") for r in records] == [*range(20_000), None, 20_001]
    assert records[20_000] == {"s": "\udc00"}
    assert sales.fingerprint == sha(data)
    assert sales.size == len(data)


@pytest.mark.parametrize("cut", [1, 3, 5, 6, 7, 9, 12])
def test_a_surrogate_pair_across_a_block_boundary_is_read_exactly(cut, monkeypatch):
    monkeypatch.setattr(read_file, "HEAD_BYTES", 64)
    data = b'[{"a": "' + b"x" * (64 - 8 - cut) + b'\\ud83d\\ude00"}, {"b": "\\ud83d\\ude00\\ud800"}]'
    records, _ = read(data)
    assert records == [{"a": "x" * (64 - 8 - cut) + "\U0001f600"}, {"b": "\U0001f600\ud800"}]


def test_a_long_run_of_digits_in_a_string_is_text():
    records, _ = read(b'[{"barcode": "' + b"1" * 20_000 + b'"}]')
    assert records == [{"barcode": "1" * 20_000}]


def test_a_number_split_across_blocks_is_counted_whole(monkeypatch):
    monkeypatch.setattr(read_file, "HEAD_BYTES", 100)
    data = b'[{"n": ' + b"3" * 10_001 + b"}]"
    assert reject(data)[0].startswith("the file has a number of more than 10,000 digits (line 1, column 8)")
    assert read(b'[{"n": ' + b"3" * 9_999 + b"}]")[0] == [{"n": int("3" * 9_999)}]


# ------------------------------------------------------------------ nesting


def nested(levels: int) -> bytes:
    return b'{"d": ' + b"[" * levels + b"]" * levels + b"}"


class _NullInbox:
    bucket = "b"

    def put_text(self, key: str, text: str) -> int:
        return len(text)


def stage(data: bytes, name: str = "incoming/f.json") -> int:
    """The records Prepare's split stages of data (FileRejectedError for the file)."""
    _, records = split(SalesFile(io.BytesIO(data), name, len(data)), _NullInbox(), "p", Layout(2, 3), default())  # type: ignore[arg-type]
    return records


@pytest.mark.parametrize("name", ["incoming/f.json", "incoming/f.jsonl"])
def test_records_nested_up_to_100_levels_are_staged_and_deeper_ones_reject_the_file_or_their_line(name):
    def body(levels: int) -> bytes:
        return nested(levels) if name.endswith(".jsonl") else b"[" + nested(levels) + b"]"

    assert read(body(100), name)[0] == [json.loads(nested(100))]
    assert stage(body(100), name) == 1
    for levels in (101, 102, 103, 104, 200, 600, 5_000):
        if name.endswith(".jsonl"):  # the line alone: its text, and why
            [_, (record, findings)] = entries(b'{"a": 1}\n' + body(levels), name)
            assert record == body(levels).decode()
            reason = findings.unreadable
        else:
            with pytest.raises(FileRejectedError) as rejected:
                stage(body(levels), name)
            reason = rejected.value.reason
        assert reason is not None and "nests objects and arrays more than 100 levels deep" in reason, levels
        _readable(reason)


def test_nesting_deep_enough_to_exhaust_the_c_parser_is_refused_with_little_memory():
    data = b'[{"a": 1}, {"d": ' + b'{"k": ' * 50_000 + b"1" + b"}" * 50_000 + b"}]"
    tracemalloc.start()
    try:
        reason, _ = reject(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason.startswith("the file nests objects and arrays more than 100 levels deep in a record (line 1, ")
    assert peak < 16 * 1024 * 1024, peak


# ------------------------------------------------------------------ keys held twice


def entries(data: bytes, name: str = "incoming/f.json") -> list:
    return list(SalesFile(io.BytesIO(data), name, len(data)).entries())


DUPLICATED = (
    b'{"order-info": {"OrderId": "1", "qty": 1, "qty": 2}, "tags": [{"id": 1, "id": 2}], "n": {"a": {"b": 0, "b": 1}}}'
)
PLAIN_RECORD = b'{"order-info": {"OrderId": "2"}}'
EXPECTED_RECORD = {"order-info": {"OrderId": "1", "qty": 2}, "tags": [{"id": 2}], "n": {"a": {"b": 1}}}
EXPECTED_PATHS = ("order-info.qty", "tags[0].id", "n.a.b")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'{"orders": [' + PLAIN_RECORD + b"," + DUPLICATED + b"]}", "f.json"),
        (b'{"x": {"y": 1, "y": 2}, "orders": [' + PLAIN_RECORD + b"," + DUPLICATED + b"]}", "f.json"),
        (b"[" + PLAIN_RECORD + b"," + DUPLICATED + b"]", "f.json"),
        (PLAIN_RECORD + b"\n" + DUPLICATED + b"\n", "f.jsonl"),
        (PLAIN_RECORD + b"\n" + DUPLICATED + b"\n", "f.json"),
        (b"[" + PLAIN_RECORD + b"," + DUPLICATED + b', {"s": "\\ud800"}]', "f.json"),  # read by the exact parser
    ],
    ids=["orders-first", "orders-elsewhere", "array", "jsonl", "jsonl-in-json", "exact-parser"],
)
def test_keys_held_twice_are_found_with_their_paths_in_every_shape(data, name):
    found = entries(data, "incoming/" + name)
    assert found[0] == ({"order-info": {"OrderId": "2"}}, NOTHING)
    assert found[1] == (EXPECTED_RECORD, Findings(EXPECTED_PATHS))


TWICE = 'the top-level object has the key "orders" more than once'


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"orders": [' + PLAIN_RECORD + b'], "orders": [' + PLAIN_RECORD + b"]}", " (line 1, column 48)"),
        (b'{"orders": [' + PLAIN_RECORD + b'],\n "\\u006frders": [' + PLAIN_RECORD + b"]}", " (line 2, column 2)"),
        (b'{"orders": [' + PLAIN_RECORD + b'], "orders": [' + PLAIN_RECORD + b', {"s": "\\ud800"}]}', " (line 1,"),
        (b'{"batch": 1, "orders": [' + PLAIN_RECORD + b'], "orders": [' + PLAIN_RECORD + b"]}", ":"),
        (b'{"batch": 1, "orders": [' + PLAIN_RECORD + b'], "orders": []}', ":"),
    ],
    ids=["orders-first", "escaped-key", "exact-parser", "orders-elsewhere", "second-empty"],
)
def test_a_top_level_orders_key_given_twice_rejects_the_file(data, where):
    reason, sales = reject(data)
    assert reason.startswith(TWICE + where), reason
    _readable(reason)
    assert sales.fingerprint == sha(data)


def test_orders_late_in_a_big_file_is_found_and_orders_as_text_in_records_is_not_a_second_key():
    many = b",".join(b'{"i": %d, "note": "orders", "orders": {"orders": %d}}' % (i, i) for i in range(5_000))
    records, _ = read(b'{"orders": [' + many + b"]}")
    assert len(records) == 5_000 and records[-1] == {"i": 4_999, "note": "orders", "orders": {"orders": 4_999}}
    reason, _ = reject(b'{"orders": [' + many + b'],\n"orders": [{"i": -1}]}')
    assert reason.startswith(TWICE + " (line 2, column 1)"), reason


def test_a_key_held_three_times_is_named_once():
    assert entries(b'[{"a": 1, "a": 2, "a": 3}]') == [({"a": 3}, Findings(("a",)))]
    assert entries(b'{"a": 1, "a": 2, "a": 3}', "incoming/f.jsonl") == [({"a": 3}, Findings(("a",)))]


def test_json_lines_in_a_json_file_may_hold_null_after_the_first_object():
    assert read(b'{"a": 1}\nnull\n{"b": 2}\n')[0] == [{"a": 1}, None, {"b": 2}]


def test_brackets_inside_strings_do_not_add_up_over_a_file(monkeypatch):
    """Each record's note opens a bracket it never closes: the C parser reads the whole file, however many."""
    calls = []
    exact = read_file._exact_values
    monkeypatch.setattr(read_file, "_exact_values", lambda *a: calls.append(1) or exact(*a))
    data = b"[" + b",".join(b'{"i": %d, "note": ":-[ {"}' % i for i in range(20_000)) + b"]"
    records, _ = read(data)
    assert len(records) == 20_000 and records[-1] == {"i": 19_999, "note": ":-[ {"}
    assert calls == []  # the exact parser was not needed


@pytest.mark.parametrize("block", [7, 64, 97, 1000])
def test_strings_with_quotes_backslashes_and_brackets_across_blocks_need_no_exact_read(block, monkeypatch):
    """With a guard of 16 open brackets, every block whose brackets in strings pass it is counted without
    its strings: that count must know, block after block, where strings start and end."""
    calls = []
    exact = read_file._exact_values
    monkeypatch.setattr(read_file, "_exact_values", lambda *a: calls.append(1) or exact(*a))
    monkeypatch.setattr(read_file, "_BLOCK", block)
    monkeypatch.setattr(read_file, "HEAD_BYTES", block)
    monkeypatch.setattr(read_file, "_NESTING_GUARD", 16)
    texts = ['[[[ "{', '\\\\"[', "\\\\", 'a\\\\\\\\"b[', "{{{{", '"', "\\\\\\\\\\\\", "]]"]
    records = [{"i": i, "t": texts[i % len(texts)] * (1 + i % 5), "n": [[i]]} for i in range(2_000)]
    data = json.dumps(records).encode()
    assert read(data)[0] == records
    assert calls == []
