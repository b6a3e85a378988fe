"""A data-quality report, read from the audit history's aggregates: never a scan of per-record events.

What a report reads (docs/deploy.md gives its read units):
- file events, from the sparse `by-day` index, which holds nothing else (a few events a file run: accepted,
  completed or rejected, duplicate, failed, retried). A window with a start (--since) is read by a paginated
  Query per day: its days, and the `baseline_window` days before them, whose files are the baselines of the
  window's first files and days. Its cost follows the window, whatever the history holds. A window without a
  start (the whole history, up to --until) reads the index whole with one paginated Scan: every day is wanted
  and the days are not known beforehand; so does a window of more than MAX_DAY_QUERIES days (a Query per
  empty day would cost more than reading the index).
- a file's summary is its `file.completed` event: counts, failures by rule and by field, example quarantine ids
  (services/ingest/finalize.py folded them from the chunk markers once, when the run ended).
- one keyed Query per completed file that quarantined records (at arrival or in a replay): its `file.redriven`
  items (what each redrive batch did for its records), for `redriven` and the score now.
- --file: by file id, a keyed Query of the file's events; by name (no index has names), a Scan of the by-day
  index; then the days before each of its runs, for its baseline.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from salesdq import resources
from salesdq.errors import UsageError
from salesdq.locate import StackRef
from salesdq.operators import runs as file_runs
from salesdq.reports.compute import Run, compute, runs_of, with_redrives
from salesdq.reports.model import Report, Settings, Window
from services.dal.audit_log import AuditLog
from services.domain import audit_events, redrive_batch

BY_DAY = resources.AUDIT.indexes[0]
MAX_DAY_QUERIES = 400  # past this many days, one Scan of the sparse index reads less than a Query per day
FILE_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ReportRequest:
    since: date | None = None
    until: date | None = None
    file: str | None = None  # a file's key as uploaded (or its last part), or its file id (a prefix: runs_named)
    settings: Settings = field(default_factory=Settings)

    def window(self) -> Window:
        return Window(
            since=self.since.isoformat() if self.since else None,
            until=self.until.isoformat() if self.until else None,
            file=self.file,
        )

    def check(self, today: date | None = None) -> ReportRequest:
        """The request, if its window can hold a day; UsageError if it ends before it starts or starts after
        today (UTC): no file has arrived on a day still to come."""
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"--since {self.since} is after --until {self.until}: no day is in that window")
        today = today or datetime.now(UTC).date()
        if self.since and self.since > today:
            raise UsageError(f"--since {self.since} is after today ({today}, UTC): no file has arrived yet then")
        return self

    def holds(self, day: str) -> bool:
        return (self.since is None or self.since.isoformat() <= day) and (
            self.until is None or day <= self.until.isoformat()
        )


def build_report(stack: StackRef, request: ReportRequest, today: date | None = None) -> Report:
    """The report `request` asks for. UsageError for a window that ends before it starts or a file the audit
    history does not know; a window with no file gives an empty report."""
    today = today or datetime.now(UTC).date()
    request.check(today)
    reader = _Reader(stack.audit(), today)
    if request.file is not None:
        return _file_report(reader, dataclasses.replace(request, file=file_runs.file_named(stack, request.file)))
    start = request.since
    end = request.until or reader.today
    lookback = request.settings.baseline_window
    events = reader.scan() if start is None else reader.days(_days_before(start, lookback), end)
    runs = runs_of(events)
    window = [r for r in runs if request.holds(r.day)]
    before = [r for r in runs if start is not None and r.day < start.isoformat()]
    return compute(request.window(), request.settings, reader.with_redrives(window), before)


def _file_report(reader: _Reader, request: ReportRequest) -> Report:
    assert request.file is not None
    wanted = request.file
    runs = runs_of(reader.file_events(wanted))
    if not runs:
        batch = redrive_batch.is_redrive(wanted)
        raise UsageError(
            f"{wanted} is a redrive batch: its records count in the files they came from"
            if batch
            else f"no file {wanted!r} in the audit history: give a file's key as uploaded (e.g. incoming/sales.json), "
            "its name, or its file id or 8+ characters of it (`salesdq runs` lists them)"
        )
    mine = [r for r in runs if request.holds(r.day)]
    lookback = request.settings.baseline_window
    days = sorted(
        {d for r in mine for d in _span(_days_before(date.fromisoformat(r.day), lookback), date.fromisoformat(r.day))}
    )
    context = runs_of(reader.days_of(days)) if days else []
    ids = {(r.file_id, r.at) for r in mine}
    first = mine[0].at if mine else ""
    before = [r for r in context if (r.file_id, r.at) not in ids and r.at < first]
    # the file's own earlier runs (a first upload before a duplicate) are baselines of its later ones
    return compute(request.window(), request.settings, reader.with_redrives(mine), before, day_alerts=False)


def _days_before(day: date, days: int) -> date:
    """`days` days before `day`, or the first day a date holds (--since 0001-01-01 has no days before it)."""
    return day - timedelta(days=min(max(days, 0), (day - date.min).days))


def _span(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class _Reader:
    """The audit log's reads a report makes, all eventually consistent (half a read unit per 4 KB)."""

    def __init__(self, audit: AuditLog, today: date) -> None:
        self.audit = audit
        self.today = today

    def scan(self) -> Iterator[dict[str, Any]]:
        return self.audit.scan(index=BY_DAY.name)

    def days(self, first: date, last: date) -> Iterable[dict[str, Any]]:
        if first > last:
            return []
        if (last - first).days + 1 > MAX_DAY_QUERIES:
            return (e for e in self.scan() if first.isoformat() <= str(e.get("day")) <= last.isoformat())
        return self.days_of(list(_span(first, last)))

    def days_of(self, days: list[date]) -> Iterator[dict[str, Any]]:
        if len(days) > MAX_DAY_QUERIES:
            wanted = {d.isoformat() for d in days}
            yield from (e for e in self.scan() if str(e.get("day")) in wanted)
            return
        for day in days:
            yield from self.audit.query_index(BY_DAY.name, BY_DAY.partition_key, day.isoformat())

    def file_events(self, wanted: str) -> list[dict[str, Any]]:
        if FILE_ID.match(wanted):
            pk, prefix = audit_events.file_pk(wanted), "EVENT#"
            events = list(self.audit.query(pk, prefix, consistent=False))
            if events:
                return events
        events = list(self.scan())
        exact = [e for e in events if e.get("file") == wanted]
        return exact or [e for e in events if PurePosixPath(str(e.get("file", ""))).name == wanted]

    def with_redrives(self, runs: Iterable[Run]) -> list[Run]:
        """Each completed run that quarantined records (at arrival or in a replay: a later replay may carry the
        redrives' outcomes and quarantine none), with what redrives did for them (one keyed Query)."""
        return [with_redrives(run, self._redriven(run.file_id)) if run.redrivable else run for run in runs]

    def _redriven(self, file_id: str) -> Iterator[Mapping[str, Any]]:
        return self.audit.query(audit_events.redriven_pk(file_id), consistent=False)
