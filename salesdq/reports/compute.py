"""The report computed from file runs: what salesdq/operators/report.py read of the audit log's aggregates, turned
into the document of model.py. Pure: no AWS here, so every number is testable from hand-made runs.

A run is one file's run as its file events tell it (`runs_of` groups them): completed (its counts from its
`file.completed` summary), rejected, duplicate or failed (no counts: a failed run's outcomes count once an upload
of the file again completes it). Redrive batches are runs of their own but not files: their records count in
the files they came from, as `redriven` and in `quality_score_now`. A replay (`salesdq replay file`) is a run of
the same file, not another file: the file counts once, at its arrival, and its latest completed replay's
outcomes are its current ones (`quality_score_now`, with the redrives since that replay).

Alerts: a file (or day) whose score at arrival is more than `margin` below its baseline, the mean score of the
previous `baseline_window` scored files (or days), counting those before the window that the operator read for
it; or below `fail_under`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from salesdq.reports.model import (
    Alert,
    Day,
    Failures,
    FieldFailures,
    FileEntry,
    FileRuleResult,
    Report,
    RuleFailures,
    RuleWarnings,
    Settings,
    Totals,
    Window,
)
from services.domain import audit_events, redrive_batch
from services.domain.audit_events import EventKind

SCORE_DIGITS = 4  # scores and shares are fractions rounded to 4 places (0.5200)
# What each kind of file event says of its run's status, the strongest first: a run that failed and was then
# continued by a re-upload to completion is completed.
STATUS_OF = (
    (EventKind.FILE_COMPLETED, "completed"),
    (EventKind.FILE_REJECTED, "rejected"),
    (EventKind.FILE_DUPLICATE, "duplicate"),
    (EventKind.FILE_FAILED, "failed"),
)


@dataclass(frozen=True)
class Run:
    """One file run, from its aggregates."""

    file: str
    file_id: str
    at: str
    status: str
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    failures_by_rule: Mapping[str, int] = field(default_factory=dict)
    failures_by_field: Mapping[str, int] = field(default_factory=dict)
    examples_by_rule: Mapping[str, Sequence[str]] = field(default_factory=dict)
    contract_version: str | None = None
    reason: str | None = None
    redriven: int = 0  # of its records, how many were redriven (each counted once)
    resolved: int = 0  # of its current quarantined records, how many a redrive has since ended stored or duplicate
    replay_of: str | None = None  # a replay run: the `at` of the run it replayed
    latest: Run | None = None  # the file's latest completed replay: its outcomes are the file's current ones
    warnings_by_rule: Mapping[str, int] = field(default_factory=dict)  # stored records a warning rule warned of
    verdict: str | None = None  # under the contract's file-level rules: passed, alert or rejected
    file_rules: Sequence[FileRuleResult] = ()
    replays_quarantined: bool = False  # a completed replay of the file (the latest or an earlier one) quarantined

    @property
    def day(self) -> str:
        return self.at[:10]

    @property
    def good(self) -> int:
        return self.stored + self.duplicates

    @property
    def current(self) -> Run:
        """The run whose outcomes are the file's current ones: its latest replay, else itself."""
        return self.latest or self

    @property
    def redrivable(self) -> bool:
        """Whether redrives can have worked on its records (its `file.redriven` accounts are worth reading): one
        of the file's completed runs quarantined records. Its current run may quarantine none, when a replay
        carried the outcomes of redrives before it; its `redriven` still counts them."""
        return self.status == "completed" and (self.quarantined > 0 or self.replays_quarantined)

    @property
    def good_now(self) -> int:
        return self.current.good + min(self.resolved, self.current.quarantined)

    @property
    def quality_score(self) -> float | None:
        return score(self.good, self.records)

    @property
    def quality_score_now(self) -> float | None:
        return score(self.good_now, self.records)


def score(good: int, records: int) -> float | None:
    return round(good / records, SCORE_DIGITS) if records else None


# ---------------------------------------------------------------- file events -> runs


def runs_of(events: Iterable[Mapping[str, Any]]) -> list[Run]:
    """The runs the file events tell of, oldest first: events grouped by (file id, run start). A redrive batch's
    run is left out, and so is a run that has not ended (accepted, not yet completed or failed) and the event
    of a re-upload that took a failed run over (the run it continued is keyed by its own start). A replay is
    folded into its file's run (`files_of`)."""
    grouped: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for event in events:
        kind = str(event.get("event"))
        if redrive_batch.is_redrive(str(event.get("file", ""))):
            continue
        grouped.setdefault((str(event["file_id"]), str(event["at"])), {})[kind] = event
    runs = [run for (file_id, at), kinds in grouped.items() if (run := _run(file_id, at, kinds)) is not None]
    return files_of(sorted(runs, key=lambda r: (r.at, r.file_id)))


def files_of(runs: Sequence[Run]) -> list[Run]:
    """`runs` (oldest first) with each replay folded into the run its file arrived with: one entry a file, its
    latest completed replay as `latest`. A replay whose file's arrival is not among `runs` (it arrived before
    the days read) is left out: a file belongs to the day it arrived."""
    files: list[Run] = []
    arrived: dict[str, int] = {}  # file id -> its arrival's place in `files`
    for run in runs:
        if run.replay_of is None:
            if run.status == "completed":
                arrived[run.file_id] = len(files)
            files.append(run)
        elif run.status == "completed" and (place := arrived.get(run.file_id)) is not None:
            quarantined = files[place].replays_quarantined or run.quarantined > 0
            files[place] = dataclasses.replace(files[place], latest=run, replays_quarantined=quarantined)
    return files


def _run(file_id: str, at: str, kinds: Mapping[str, Mapping[str, Any]]) -> Run | None:
    for kind, status in STATUS_OF:
        event = kinds.get(kind)
        if event is None:
            continue
        version = next((str(e["contract_version"]) for e in kinds.values() if e.get("contract_version")), None)
        replayed = kinds.get(EventKind.FILE_REPLAYED)
        common: dict[str, Any] = {
            "file": str(event.get("file", "")),
            "file_id": file_id,
            "at": at,
            "status": status,
            "contract_version": version,
            "replay_of": str(replayed["replay_of"]) if replayed else None,
        }
        if status == "completed":
            return Run(
                **common,
                records=int(event.get("records", 0)),
                stored=int(event.get("stored", 0)),
                duplicates=int(event.get("duplicates", 0)),
                quarantined=int(event.get("quarantined", 0)),
                failures_by_rule=_counts(event.get("failures_by_rule")),
                failures_by_field=_counts(event.get("failures_by_field")),
                examples_by_rule={str(k): [str(i) for i in v] for k, v in _mapping(event, "examples_by_rule").items()},
                warnings_by_rule=_counts(event.get("warnings_by_rule")),
                verdict=str(event["verdict"]) if event.get("verdict") else None,
                file_rules=[_file_rule(r) for r in event.get("file_rules") or []],
                reason=str(event["reason"]) if event.get("reason") else None,
            )
        if status == "duplicate":
            earlier = event.get("duplicate_of")
            return Run(**common, reason=f"same bytes as {earlier}" if earlier else "same bytes as an earlier file")
        return Run(**common, reason=str(event["reason"]) if event.get("reason") else None)
    return None


def _file_rule(found: Mapping[str, Any]) -> FileRuleResult:
    return FileRuleResult(
        rule=str(found["rule"]),
        metric=str(found["metric"]),
        severity=str(found["severity"]),
        value=float(found["value"]),
        unit=str(found["unit"]),
        expected=str(found["expected"]),
        passed=bool(found["passed"]),
    )


def _counts(value: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (value or {}).items()}


def _mapping(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    return value if isinstance(value, Mapping) else {}


def with_redrives(run: Run, accounts: Iterable[Mapping[str, Any]]) -> Run:
    """The run with what redrive batches did for its records (its `file.redriven` items): `redriven` by every
    batch; `resolved` by those that started after its current run (a replay's outcomes hold the earlier ones)."""
    redriven = resolved = 0
    for account in accounts:
        redriven += int(account.get("redriven", 0))
        if account.get("at") is None or str(account["at"]) > run.current.at:
            resolved += int(account.get("resolved", 0))
    return dataclasses.replace(run, redriven=redriven, resolved=resolved)


# ---------------------------------------------------------------- runs -> report


def compute(
    window: Window,
    settings: Settings,
    runs: Sequence[Run],
    before: Sequence[Run] = (),
    *,
    day_alerts: bool = True,
) -> Report:
    """The report of `runs` (the window's); `before`: runs that arrived earlier, read only for the baselines of
    the window's first files and days. `day_alerts` False: a one-file report, whose days hold that file alone."""
    runs = sorted(runs, key=lambda r: (r.at, r.file_id))
    files = [_entry(r) for r in runs]
    records = sum(r.records for r in runs)
    good = sum(r.good for r in runs)
    totals = Totals(
        files=len(runs),
        records=records,
        stored=sum(r.stored for r in runs),
        duplicates=sum(r.duplicates for r in runs),
        quarantined=sum(r.quarantined for r in runs),
        redriven=sum(r.redriven for r in runs),
        quality_score=score(good, records),
        quality_score_now=score(sum(r.good_now for r in runs), records),
    )
    days = _days(runs)
    alerts = _file_alerts(runs, before, settings) + _rule_alerts(runs)
    if day_alerts:
        alerts += _day_alerts(days, _days(before), settings)
    return Report(
        window=window,
        empty=not runs,
        totals=totals,
        files=files,
        failures=_failures(runs, records),
        days=days,
        alerts=alerts,
        settings=settings,
        warnings=_warnings(runs, records),
    )


def _entry(run: Run) -> FileEntry:
    return FileEntry(
        file=run.file,
        file_id=run.file_id,
        at=run.at,
        status=run.status,
        records=run.records,
        stored=run.stored,
        duplicates=run.duplicates,
        quarantined=run.quarantined,
        redriven=run.redriven,
        quality_score=run.quality_score,
        quality_score_now=run.quality_score_now,
        contract_version=run.contract_version,
        reason=run.reason,
        warnings=sum(run.warnings_by_rule.values()),
        verdict=run.verdict,
        file_rules=list(run.file_rules),
    )


def _warnings(runs: Sequence[Run], records: int) -> list[RuleWarnings]:
    """Warnings by rule over the runs, apart from failures: the records were stored."""
    by_rule: dict[str, int] = {}
    for run in runs:
        for rule, count in run.warnings_by_rule.items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    return [
        RuleWarnings(rule, by_rule[rule], round(by_rule[rule] / records, SCORE_DIGITS) if records else 0.0)
        for rule in sorted(by_rule, key=lambda r: (-by_rule[r], r))
    ]


def _rule_alerts(runs: Sequence[Run]) -> list[Alert]:
    """A file whose file-level rules did not all pass: its reason names the rule and what the run measured."""
    return [
        Alert("rule", r.file, r.file_id, r.day, r.quality_score, None, r.reason or f"{r.file}: {r.verdict}")
        for r in runs
        if r.verdict in ("alert", "rejected")
    ]


def _failures(runs: Sequence[Run], records: int) -> Failures:
    by_rule: dict[str, int] = {}
    by_field: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for run in runs:
        for rule, count in run.failures_by_rule.items():
            by_rule[rule] = by_rule.get(rule, 0) + count
        for name, count in run.failures_by_field.items():
            by_field[name] = by_field.get(name, 0) + count
        for rule, ids in run.examples_by_rule.items():
            shown = examples.setdefault(rule, [])
            shown += [i for i in ids if i not in shown][: audit_events.MAX_EXAMPLES - len(shown)]
    by_field = audit_events.capped_fields(by_field)

    def share(count: int) -> float:
        return round(count / records, SCORE_DIGITS) if records else 0.0

    def ordered(counts: Mapping[str, int]) -> list[str]:
        return sorted(counts, key=lambda n: (n == audit_events.OTHER_FIELDS, -counts[n], n))

    return Failures(
        by_rule=[RuleFailures(r, by_rule[r], share(by_rule[r]), examples.get(r, [])) for r in ordered(by_rule)],
        by_field=[FieldFailures(f, by_field[f], share(by_field[f])) for f in ordered(by_field)],
    )


def _days(runs: Sequence[Run]) -> list[Day]:
    by_day: dict[str, list[Run]] = {}
    for run in runs:
        by_day.setdefault(run.day, []).append(run)
    days = []
    for day, of_day in sorted(by_day.items()):
        records = sum(r.records for r in of_day)
        days.append(
            Day(
                day=day,
                files=len(of_day),
                records=records,
                stored=sum(r.stored for r in of_day),
                duplicates=sum(r.duplicates for r in of_day),
                quarantined=sum(r.quarantined for r in of_day),
                quality_score=score(sum(r.good for r in of_day), records),
            )
        )
    return days


def percent(fraction: float) -> str:
    """A score in an alert's sentence: 0.4804 -> 48%, 0.995 -> 99.5%."""
    return f"{round(fraction * 100, 1):g}%"


def _judge(
    name: str, unit: str, value: float, history: Sequence[float], settings: Settings
) -> tuple[float | None, str | None]:
    """(the baseline, the alert's sentence or None)."""
    previous = list(history[-settings.baseline_window :]) if settings.baseline_window > 0 else []
    baseline = round(sum(previous) / len(previous), SCORE_DIGITS) if previous else None
    below = baseline is not None and round(baseline - value, 9) > settings.margin
    under = settings.fail_under is not None and value < settings.fail_under
    if not below and not under:
        return baseline, None
    text = f"{name} scored {percent(value)}"
    if below:
        assert baseline is not None
        over = f"the previous {unit}" if len(previous) == 1 else f"the previous {len(previous)} {unit}s"
        text += (
            f" against a baseline of {percent(baseline)} over {over}, "
            f"more than {settings.margin * 100:g} points below it"
        )
    if under:
        assert settings.fail_under is not None
        text += f"{', and' if below else ','} under the fail-under threshold of {percent(settings.fail_under)}"
    return baseline, text + "."


def _file_alerts(runs: Sequence[Run], before: Sequence[Run], settings: Settings) -> list[Alert]:
    history = [s for r in sorted(before, key=lambda r: (r.at, r.file_id)) if (s := r.quality_score) is not None]
    judged = _judged([(r.file, r.quality_score) for r in runs], "file", history, settings)
    return [
        Alert("file", runs[i].file, runs[i].file_id, runs[i].day, value, baseline, reason)
        for i, value, baseline, reason in judged
    ]


def _day_alerts(days: Sequence[Day], before: Sequence[Day], settings: Settings) -> list[Alert]:
    earlier = {d.day for d in days}
    history = [d.quality_score for d in before if d.quality_score is not None and d.day not in earlier]
    judged = _judged([(d.day, d.quality_score) for d in days], "day", history, settings)
    return [Alert("day", None, None, days[i].day, value, baseline, reason) for i, value, baseline, reason in judged]


def _judged(
    scores: Sequence[tuple[str, float | None]], unit: str, history: list[float], settings: Settings
) -> list[tuple[int, float, float | None, str]]:
    """(place, score, baseline, reason) of each scored entry that alerts, in order; every score joins the
    history of the ones after it."""
    found = []
    for i, (name, value) in enumerate(scores):
        if value is None:
            continue
        baseline, reason = _judge(name, unit, value, history, settings)
        if reason is not None:
            found.append((i, value, baseline, reason))
        history.append(value)
    return found


def under_fail_under(report: Report) -> list[FileEntry]:
    """The files of the window scoring under --fail-under (at arrival)."""
    limit = report.settings.fail_under
    if limit is None:
        return []
    return [f for f in report.files if f.quality_score is not None and f.quality_score < limit]
