"""The projections as files: the orders and the quarantine as JSON Lines, in one format and order, whether read
from the live stores (`local run --out`) or folded from the audit log (`audit rebuild --out`), so the two
compare line for line. Streamed: rows are sorted in bounded runs on disk, never a whole table in memory."""

from __future__ import annotations

import contextlib
import heapq
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from services.domain import json_codec, quarantine_message

ORDERS, QUARANTINE, FILES = "orders.jsonl", "quarantine.jsonl", "files.jsonl"
Fetch = Callable[[str], Any]  # an S3 key of the inbox bucket -> its JSON


def write_orders(out: Path, orders: Iterable[dict[str, Any]]) -> None:
    """Orders by OrderId (numeric ids by value, first)."""
    write_sorted_jsonl(out / ORDERS, orders, key=lambda order: order_sort_key(order["OrderId"]))


def write_quarantine(out: Path, messages: Iterable[dict[str, Any]], fetch: Fetch) -> None:
    """Open quarantine messages by file and index, each with its record's content: one that travelled by reference
    is fetched and written inline too."""
    write_sorted_jsonl(
        out / QUARANTINE, with_records(messages, fetch), key=lambda m: (m.get("file", ""), m.get("index", -1))
    )


def with_records(messages: Iterable[dict[str, Any]], fetch: Fetch) -> Iterator[dict[str, Any]]:
    for message in messages:
        key = quarantine_message.record_ref_key(message)
        yield message | {"record": fetch(key)} if key else message


def order_sort_key(order_id: str) -> tuple[int, int | str]:
    return (0, int(order_id)) if order_id.isdigit() else (1, order_id)


RUN_ROWS = 50_000  # rows sorted in memory at a time; longer tables are merged from runs on disk


def write_sorted_jsonl(path: Path, rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> None:
    """Rows as JSON Lines in `key` order, with memory bounded by RUN_ROWS whatever the table's size: sorted
    runs go to temporary files and are merged."""
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        runs: list[Path] = []
        batch: list[tuple[Any, str]] = []
        for row in rows:
            batch.append((key(row), json_codec.dumps(row, spaced=True, sort_keys=True)))
            if len(batch) == RUN_ROWS:
                runs.append(_spill(Path(scratch), len(runs), batch))
                batch = []
        if not runs:  # the common case: one run, sorted in memory
            _write_lines(path, (line for _, line in sorted(batch, key=lambda pair: pair[0])))
            return
        runs.append(_spill(Path(scratch), len(runs), batch))
        with contextlib.ExitStack() as files:
            readers = [_read_run(files.enter_context(run.open(encoding="utf-8")), key) for run in runs]
            _write_lines(path, (line for _, line in heapq.merge(*readers, key=lambda pair: pair[0])))


def _spill(scratch: Path, number: int, batch: list[tuple[Any, str]]) -> Path:
    run = scratch / f"run-{number:05d}.jsonl"
    _write_lines(run, (line for _, line in sorted(batch, key=lambda pair: pair[0])))
    return run


def _read_run(handle: Any, key: Callable[[dict[str, Any]], Any]) -> Iterator[tuple[Any, str]]:
    for line in handle:
        text = line.rstrip("\n")
        yield key(json_codec.loads(text)), text


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
