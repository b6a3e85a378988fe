"""The streaming reader: accepted shapes, every file-level fault, the byte fingerprint, flat memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from collections.abc import Iterator

import pytest

from services.ingest import read_file
from services.ingest.read_file import FileRejectedError, SalesFile

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


def test_numbers_are_plain_python_numbers():
    records, _ = read(b'[{"q": 4, "p": 2.5, "n": -7, "e": 1e3}]')
    assert records == [{"q": 4, "p": 2.5, "n": -7, "e": 1000.0}]
    assert type(records[0]["q"]) is int
    assert type(records[0]["p"]) is float


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
        (b'{"a": 1}\n{oops}\n', "incoming/f.jsonl"),
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


def test_numbers_past_64_bits_get_a_reason_a_person_can_act_on() -> None:
    stream = io.BytesIO(b'{"orders": [{"order-info": {"OrderId": 123456789012345678901}}]}')
    with pytest.raises(FileRejectedError) as rejected:
        list(SalesFile(stream, "big.json").records())
    assert "more than 19 digits" in rejected.value.reason
