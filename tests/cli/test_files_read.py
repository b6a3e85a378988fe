"""What a command reads that is there but not what it takes: a redrive file that is not UTF-8 text or corrects
one id twice. A usage error naming the line, exit 2, before any stack is reached (docs/operations.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from .refusals import refused, run

pytestmark = pytest.mark.usefixtures("dead_stack")

ID = "a" * 64


def _line(index: int, record: str = "{}") -> str:
    return f'{{"id": "{ID}:{index}", "record": {record}}}\n'


def test_a_gzipped_redrive_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "fixes.jsonl"
    path.write_bytes(gzip.compress(_line(0).encode()))
    refused(run(capsys, ["redrive", str(path)]), 2, f"{path}:1: not UTF-8 text", "gunzip it first")


def test_a_byte_that_is_not_utf8_is_named_by_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "fixes.jsonl"
    path.write_bytes((_line(0) + _line(1)).encode() + _line(2, '{"name": "caf\xe9"}').encode("latin-1"))
    refused(run(capsys, ["redrive", str(path)]), 2, f"{path}:3: not UTF-8 text (byte 0xe9)")


def test_one_id_corrected_twice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "fixes.jsonl"
    path.write_text(_line(0) + _line(1) + _line(0, '{"qty": 2}'), encoding="utf-8")
    refused(run(capsys, ["redrive", str(path)]), 2, f"{path}:3: id {ID}:0 is corrected on line 1 too")
