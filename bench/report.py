"""A report over the history of N records, on the embedded engine: python -m bench.report --records 1000000.

The history is written as the workflow's runs would leave it, without running them (a million records through
the whole workflow takes many minutes; what a report reads is their aggregates): files of the bench generator
(scripts/make_sales_file.py: its records, 10% incomplete, more on one bad day) split in chunks of
--chunk-records, each record judged by the real contract (services.domain.contract.check), each chunk's marker
built by the real audit_events.chunk_event and written to the audit table, each file's `file.accepted` event
written and its `file.completed` summary made by the real Finalize (services/ingest/finalize.py), which folds
the markers. Every fifth file gets a redrive batch run (chunk markers with origins, Finalize: `file.redriven`
accounts), and a few uploads are rejected or duplicates. With --record-events the table holds every record's
audit event too, as a real history would (a report never reads them: its time and read units do not change).

Then the report, timed and metered (read units as the engine meters them: the response's bytes in 4 KB units,
halved for eventually consistent reads): the whole history (one Scan of the by-day index), the last 7 days
(a Query per day) and one file. Prints a table and writes bench/results/report-<N>.json.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.run import RESULTS, write_result
from salesdq.local.run import stack_of
from salesdq.locate import StackRef
from salesdq.operators.report import ReportRequest, build_report
from salesdq.reports import Report, render_html, render_text
from salesdq_engine import Engine
from salesdq_engine.metering import item_size
from scripts.make_sales_file import records as generated
from services.audit.summary import fold_chunks
from services.dal._dynamo import to_item
from services.dal.audit_log import AuditLog
from services.domain import audit_events, contract, quarantine_message
from services.domain.audit_events import EventKind
from services.domain.payloads import FileRun
from services.domain.quarantine_message import Origin
from services.domain.run import Run
from services.ingest.finalize import complete

SEED = 42
INCOMPLETE = 0.1
BAD_DAY_INCOMPLETE = 0.35  # one day's files are much worse: the trend shows it and the report alerts
FIRST_DAY = date(2026, 1, 1)
REDRIVE_EVERY = 5  # every fifth file has a redrive batch run fixing some of its quarantined records
REDRIVEN_PER_BATCH = 50
NEW_KEYS = ("fields", "examples", "origins")  # what this change added to a chunk marker


def file_id_of(number: int) -> str:
    return f"{number:064x}"


def at_of(day: date, number: int, second: int = 0) -> str:
    return f"{day.isoformat()}T{8 + number % 10:02d}:{number % 60:02d}:{second:02d}.000000+00:00"


class History:
    """Writes a history's aggregates into the audit table; keeps what the benchmark reports of it."""

    def __init__(self, audit: AuditLog, chunk_records: int, record_events: bool) -> None:
        self.audit = audit
        self.chunk_records = chunk_records
        self.record_events = record_events
        self.records = self.chunks = self.items = 0
        self.marker_bytes = self.marker_bytes_before = 0
        self._markers: list[dict[str, Any]] = []  # the current run's, for its Finalize

    def upload(self, number: int, day: date, count: int, incomplete: float) -> list[tuple[int, str]]:
        """One file's run: accepted, its chunks' markers, its summary. Returns its quarantined (index,
        quarantine id)."""
        file_id = file_id_of(number)
        run = Run(
            file_id=file_id,
            file=f"incoming/sales-{number:04d}.json",
            id=at_of(day, number),
            execution=f"bench-{number}",
        )
        self._append([self._event(EventKind.FILE_ACCEPTED, run, records=count)])
        rows = generated(count, incomplete, SEED + number, False)
        quarantined: list[tuple[int, str]] = []
        chunk = 0
        for start in range(0, count, self.chunk_records):
            outcomes: list[list[Any]] = []
            fields: dict[int, list[str]] = {}
            quarantine_ids: dict[int, str] = {}
            events = []
            for index in range(start, min(count, start + self.chunk_records)):
                record = next(rows)
                verdict = contract.check(record) if not _complete(record) else None
                if verdict is None or verdict.complete:
                    outcomes.append([index, "stored"])
                    reasons: list[contract.Reason] = []
                else:
                    rules = sorted({r.rule for r in verdict.reasons})
                    outcomes.append([index, "quarantined", *rules])
                    fields[index] = [r.field for r in verdict.reasons]
                    quarantine_ids[index] = quarantine_message.record_id(file_id, index)
                    quarantined.append((index, quarantine_ids[index]))
                    reasons = verdict.reasons
                if self.record_events:
                    events.append(
                        audit_events.record_event(
                            run=run,
                            index=index,
                            outcome=outcomes[-1][1],
                            order_id=f"{number}-{index}",
                            reasons=[r.as_dict() for r in reasons],
                        )
                    )
            self._append(events)
            self._marker(run, 0, chunk, outcomes, fields=fields, quarantine_ids=quarantine_ids)
            chunk += 1
        self.records += count
        self._finalize(FileRun(run=run, records=count, chunks=chunk))
        self.items += 1
        return quarantined

    def redrive(self, number: int, day: date, origin_file: str, fixed: list[tuple[int, str]]) -> None:
        """A redrive batch's run: most corrections stored, every tenth quarantined again."""
        batch_id, batch, at = file_id_of(10**6 + number), f"redrive/bench-{number}.jsonl", at_of(day, number)
        run = Run(file_id=batch_id, file=batch, id=at, execution=f"redrive-{number}")
        outcomes: list[list[Any]] = []
        origins = {}
        for i, (index, quarantine_id) in enumerate(fixed):
            outcomes.append([i, "quarantined", "email"] if i % 10 == 9 else [i, "stored"])
            origins[i] = Origin(quarantine_id, origin_file, index, 2)
        self._append([self._event(EventKind.FILE_ACCEPTED, run, records=len(fixed))])
        self._marker(run, 0, 0, outcomes, origins=origins)
        self._finalize(FileRun(run=run, records=len(fixed), chunks=1))
        self.items += 2  # its summary, one account for the original file

    def other(self, kind: EventKind, number: int, day: date, **detail: Any) -> None:
        at = at_of(day, number, second=30)  # an upload of its own, later
        run = Run(
            file_id=file_id_of(number), file=f"incoming/other-{number:04d}.json", id=at, execution=f"bench-{number}"
        )
        self._append([self._event(kind, run, **detail)])

    def _marker(self, run: Run, partition: int, chunk: int, outcomes: list[list[Any]], **kw: Any) -> None:
        marker = audit_events.chunk_event(run=run, partition=partition, chunk=chunk, outcomes=outcomes, **kw)
        size = item_size(to_item(marker))
        self.marker_bytes += size
        self.marker_bytes_before += size - sum(item_size(to_item({k: marker[k]})) for k in NEW_KEYS if k in marker)
        self.chunks += 1
        self._append([marker])
        self._markers.append(marker)

    def _finalize(self, run: FileRun) -> None:
        """Finalize's own code (complete) on the markers as written, folded here by summary.fold_chunks as its
        Query would: the engine's moto copies a whole marker, outcomes too, to project the few attributes that
        Query asks for (~0.3 s a marker)."""
        complete(run, fold_chunks(self._markers), self.audit)
        self._markers = []

    def _event(self, kind: EventKind, run: Run, **detail: Any) -> dict[str, Any]:
        return audit_events.file_event(run=run, kind=kind, **detail)

    def _append(self, items: list[dict[str, Any]]) -> None:
        if items:
            self.audit.append(items)
            self.items += len(items)


def _complete(record: Any) -> bool:
    """The generator's complete records, recognized by their shape without the contract's 67 us a record (the
    contract judges every other; tests/functional/test_bench_tools.py checks the two agree)."""
    if not isinstance(record, dict) or set(record) != {"contact-info", "order-info"}:
        return False
    info, contact = record["order-info"], record["contact-info"]
    return (
        isinstance(info, dict)
        and isinstance(contact, dict)
        and set(info) == {"OrderId", "item-id", "item-desc", "qty"}
        and isinstance(info["qty"], str)
        and info["qty"].isdigit()
        and info["qty"] != "0"
        and bool(info["item-id"].strip())
        and set(contact) == {"name", "email"}
        and bool(contact["name"])
        and contact["email"].endswith("@example.com")
    )


def build(audit: AuditLog, records: int, files: int, days: int, chunk_records: int, record_events: bool) -> History:
    history = History(audit, chunk_records, record_events)
    per_file = records // files
    bad_day = days - 3
    for number in range(files):
        day = FIRST_DAY + timedelta(days=number * days // files)
        incomplete = BAD_DAY_INCOMPLETE if (day - FIRST_DAY).days == bad_day else INCOMPLETE
        count = per_file + (records - per_file * files if number == files - 1 else 0)
        quarantined = history.upload(number, day, count, incomplete)
        if number % REDRIVE_EVERY == 0 and quarantined:
            origin = f"incoming/sales-{number:04d}.json"
            history.redrive(number, day + timedelta(days=1), origin, quarantined[:REDRIVEN_PER_BATCH])
        if number % 20 == 7:
            history.other(EventKind.FILE_REJECTED, 10_000 + number, day, reason="the file is not JSON")
        if number % 25 == 3:
            history.other(EventKind.FILE_DUPLICATE, number, day, duplicate_of=f"incoming/sales-{number:04d}.json")
    return history


def timed(engine: Engine, stack: StackRef, request: ReportRequest, today: date, repeat: int) -> dict[str, Any]:
    """The report's best wall time over `repeat` runs, its read units and requests (of one run)."""
    best = float("inf")
    report: Report | None = None
    units = 0.0
    for _ in range(repeat):
        before = engine.usage.snapshot()
        started = time.perf_counter()
        report = build_report(stack, request, today=today)
        best = min(best, time.perf_counter() - started)
        units = engine.usage.snapshot().minus(before).dynamodb_read_units
    assert report is not None
    started = time.perf_counter()
    text, page = render_text(report), render_html(report)
    rendered = time.perf_counter() - started
    return {
        "seconds": round(best, 3),
        "render_seconds": round(rendered, 3),
        "read_units": units,
        "files": report.totals.files,
        "records": report.totals.records,
        "alerts": len(report.alerts),
        "text_lines": len(text.splitlines()),
        "html_bytes": len(page.encode("utf-8")),
        "quality_score": report.totals.quality_score,
        "quality_score_now": report.totals.quality_score_now,
    }


def run(records: int, files: int, days: int, chunk_records: int, record_events: bool, repeat: int) -> dict[str, Any]:
    with Engine() as engine:
        stack = stack_of(engine)
        started = time.perf_counter()
        history = build(stack.audit(), records, files, days, chunk_records, record_events)
        built = time.perf_counter() - started
        today = FIRST_DAY + timedelta(days=days)
        last_week = ReportRequest(since=today - timedelta(days=6), until=today)  # 7 days, today the last
        cases = {
            "whole history (Scan of the by-day index)": ReportRequest(),
            "last 7 days (a Query per day, 7 more for baselines)": last_week,
            "one file by id (keyed Query, 8 days for its baseline)": ReportRequest(file=file_id_of(files // 2)),
        }
        results = {name: timed(engine, stack, request, today, repeat) for name, request in cases.items()}
    return {
        "records": records,
        "files": files,
        "days": days,
        "chunk_records": chunk_records,
        "record_events": record_events,
        "history": {
            "build_seconds": round(built, 1),
            "audit_items": history.items,
            "chunk_markers": history.chunks,
            "marker_bytes_mean": round(history.marker_bytes / history.chunks),
            "marker_bytes_mean_without_new_aggregates": round(history.marker_bytes_before / history.chunks),
        },
        "reports": results,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }


def render(result: dict[str, Any]) -> str:
    h = result["history"]
    lines = [
        f"history: {result['records']:,} records in {result['files']} files over {result['days']} days, "
        f"{h['chunk_markers']} chunk markers, {h['audit_items']:,} audit items, built in {h['build_seconds']} s",
        f"chunk marker: {h['marker_bytes_mean']:,} bytes on average "
        f"({h['marker_bytes_mean_without_new_aggregates']:,} without failures by field, examples and origins)",
        "",
        f"{'report':<56}{'seconds':>9}{'render s':>10}{'read units':>12}{'files':>7}{'records':>11}{'alerts':>8}",
    ]
    for name, r in result["reports"].items():
        lines.append(
            f"{name:<56}{r['seconds']:>9.3f}{r['render_seconds']:>10.3f}{r['read_units']:>12.1f}"
            f"{r['files']:>7}{r['records']:>11,}{r['alerts']:>8}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=100, help="files the records arrive in (default 100)")
    parser.add_argument("--days", type=int, default=30, help="days the files arrive over (default 30)")
    parser.add_argument("--chunk-records", type=int, default=1000)
    parser.add_argument("--record-events", action="store_true", help="write every record's audit event too")
    parser.add_argument("--repeat", type=int, default=3, help="report runs per case; the best time is kept")
    parser.add_argument("--json-out", type=Path, help="default bench/results/report-<records>.json")
    args = parser.parse_args(argv)
    result = run(args.records, args.files, args.days, args.chunk_records, args.record_events, args.repeat)
    suffix = "-record-events" if args.record_events else ""
    out = args.json_out or RESULTS / f"report-{args.records}{suffix}.json"
    write_result(out, result)
    print(render(result))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
