"""The report computed from file events (salesdq/reports/compute.py): runs, scores, failures, days and alerts,
each number checked against hand-made runs."""

from __future__ import annotations

from typing import Any

import pytest

from salesdq.reports.compute import Run, compute, percent, runs_of, under_fail_under, with_redrives
from salesdq.reports.model import Report, Settings, Window
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.run import Run as FileRunId


def event(kind: EventKind, file_id: str, at: str, file: str = "incoming/a.json", **detail: Any) -> dict[str, Any]:
    return audit_events.file_event(run=FileRunId(file_id=file_id, file=file, id=at, execution="x"), kind=kind, **detail)


def completed(file_id: str, at: str, file: str, records: int, stored: int, duplicates: int = 0, **detail: Any):
    return event(
        EventKind.FILE_COMPLETED,
        file_id,
        at,
        file,
        records=records,
        stored=stored,
        duplicates=duplicates,
        quarantined=records - stored - duplicates,
        **detail,
    )


def run(at: str, records: int, good: int, file: str | None = None) -> Run:
    return Run(file or f"incoming/{at}.json", at.replace(":", ""), at, "completed", records, good, 0, records - good)


def test_runs_of_groups_file_events_by_run():
    events = [
        event(EventKind.FILE_ACCEPTED, "A", "2024-03-01T09:00:00Z", records=100),
        completed("A", "2024-03-01T09:00:00Z", "incoming/a.json", 100, 52, contract_version="2024-03-01"),
        event(
            EventKind.FILE_DUPLICATE, "A", "2024-03-01T10:00:00Z", "incoming/copy.json", duplicate_of="incoming/a.json"
        ),
        event(EventKind.FILE_REJECTED, "R", "2024-03-01T11:00:00Z", "incoming/bad.json", reason="not JSON"),
        # failed, then a re-upload (its own `at`) continued the run to completion: completed
        event(EventKind.FILE_ACCEPTED, "C", "2024-03-01T12:00:00Z", "incoming/c.json", records=2),
        event(EventKind.FILE_FAILED, "C", "2024-03-01T12:00:00Z", "incoming/c.json", reason="chunk 0 failed"),
        event(EventKind.FILE_RETRIED, "C", "2024-03-02T08:00:00Z", "incoming/c.json", run_at="2024-03-01T12:00:00Z"),
        completed("C", "2024-03-01T12:00:00Z", "incoming/c.json", 2, 2),
        event(EventKind.FILE_ACCEPTED, "F", "2024-03-01T13:00:00Z", "incoming/f.json", records=5),
        event(EventKind.FILE_FAILED, "F", "2024-03-01T13:00:00Z", "incoming/f.json", reason="it stopped"),
        event(EventKind.FILE_ACCEPTED, "P", "2024-03-01T14:00:00Z", "incoming/running.json", records=5),  # not ended
        completed("B", "2024-03-01T15:00:00Z", "redrive/r1.jsonl", 3, 3),  # a batch: not a file
    ]
    runs = runs_of(reversed(events))
    assert [(r.file_id, r.status) for r in runs] == [
        ("A", "completed"),
        ("A", "duplicate"),
        ("R", "rejected"),
        ("C", "completed"),
        ("F", "failed"),
    ]
    a, dup, rejected, c, failed = runs
    assert (a.records, a.stored, a.quarantined, a.quality_score, a.contract_version) == (
        100,
        52,
        48,
        0.52,
        "2024-03-01",
    )
    assert (dup.records, dup.quality_score, dup.reason) == (0, None, "same bytes as incoming/a.json")
    assert (rejected.reason, rejected.quality_score, rejected.contract_version) == ("not JSON", None, None)
    assert (c.reason, c.quality_score) == (None, 1.0)
    assert (failed.records, failed.reason, failed.quality_score) == (0, "it stopped", None)


def test_scores_totals_and_the_score_now():
    a = with_redrives(run("2024-03-01T09:00:00Z", 100, 52), [{"redriven": 10, "resolved": 8}, {"redriven": 2}])
    b = run("2024-03-02T09:00:00Z", 102, 22)
    rejected = Run("incoming/bad.json", "R", "2024-03-02T10:00:00Z", "rejected", reason="not JSON")
    report = compute(Window(), Settings(), [b, rejected, a])

    assert [f.file_id for f in report.files] == [a.file_id, b.file_id, "R"]
    first = report.files[0]
    assert (first.redriven, first.quality_score, first.quality_score_now) == (12, 0.52, 0.6)
    t = report.totals
    assert (t.files, t.records, t.stored, t.duplicates, t.quarantined, t.redriven) == (3, 202, 74, 0, 128, 12)
    assert t.quality_score == round(74 / 202, 4)
    assert t.quality_score_now == round(82 / 202, 4)
    assert not report.empty
    assert Report.from_json(report.to_json()) == report  # exactly the document model.py defines


def test_the_score_now_never_counts_more_than_was_quarantined():
    a = with_redrives(run("2024-03-01T09:00:00Z", 10, 9), [{"redriven": 3, "resolved": 3}])
    assert a.quality_score_now == 1.0


def test_failures_sum_over_files_with_shares_of_all_records_and_the_first_examples():
    a = Run(
        "incoming/a.json", "A", "2024-03-01T09:00:00Z", "completed", 100, 90, 0, 10,
        failures_by_rule={"email": 6, "missing": 4},
        failures_by_field={"contact-info.email": 6, "contact-info": 4},
        examples_by_rule={"email": ["A:1", "A:2"], "missing": ["A:0"]},
    )  # fmt: skip
    b = Run(
        "incoming/b.json", "B", "2024-03-02T09:00:00Z", "completed", 100, 80, 0, 20,
        failures_by_rule={"missing": 20},
        failures_by_field={"contact-info": 20, audit_events.OTHER_FIELDS: 1},
        examples_by_rule={"missing": ["B:0", "B:1", "B:2"], "email": ["B:9", "B:10"]},
    )  # fmt: skip
    failures = compute(Window(), Settings(), [a, b]).failures
    assert [(r.rule, r.count, r.share, r.examples) for r in failures.by_rule] == [
        ("missing", 24, 0.12, ["A:0", "B:0", "B:1"]),
        ("email", 6, 0.03, ["A:1", "A:2", "B:9"]),
    ]
    assert [(f.field, f.count, f.share) for f in failures.by_field] == [
        ("contact-info", 24, 0.12),
        ("contact-info.email", 6, 0.03),
        (audit_events.OTHER_FIELDS, 1, 0.005),  # last, whatever its count
    ]


def test_days_hold_each_days_files():
    runs = [
        run("2024-03-01T09:00:00Z", 100, 90),
        run("2024-03-01T10:00:00Z", 100, 70),
        Run("incoming/r.json", "R", "2024-03-01T11:00:00Z", "rejected"),
        Run("incoming/d.json", "D", "2024-03-03T11:00:00Z", "duplicate"),
    ]
    days = compute(Window(), Settings(), runs).days
    assert [(d.day, d.files, d.records, d.stored, d.quarantined, d.quality_score) for d in days] == [
        ("2024-03-01", 3, 200, 160, 40, 0.8),
        ("2024-03-03", 1, 0, 0, 0, None),
    ]


def test_a_file_below_the_mean_of_the_previous_files_by_more_than_the_margin_alerts():
    runs = [run(f"2024-03-01T0{i}:00:00Z", 100, good) for i, good in enumerate([97, 97, 97, 48, 52, 100])]
    alerts = compute(Window(), Settings(), runs, day_alerts=False).alerts
    assert [(a.kind, a.file_id, a.quality_score, a.baseline) for a in alerts] == [
        ("file", runs[3].file_id, 0.48, 0.97),
        ("file", runs[4].file_id, 0.52, round((0.97 * 3 + 0.48) / 4, 4)),
    ]
    assert alerts[0].reason == (
        "incoming/2024-03-01T03:00:00Z.json scored 48% against a baseline of 97% over the previous 3 files, "
        "more than 5 points below it."
    )


def test_the_margin_is_strict_and_the_baseline_window_bounds_the_history():
    exactly = [run("2024-03-01T01:00:00Z", 100, 95), run("2024-03-01T02:00:00Z", 100, 90)]
    assert compute(Window(), Settings(), exactly).alerts == []  # 5 points below: not more than the margin
    runs = [run(f"2024-03-01T0{i}:00:00Z", 100, good) for i, good in enumerate([10, 100, 100, 93])]
    assert compute(Window(), Settings(baseline_window=2), runs, day_alerts=False).alerts[0].baseline == 1.0
    assert compute(Window(), Settings(baseline_window=3), runs, day_alerts=False).alerts == []  # mean 0.7


def test_runs_before_the_window_are_baselines_only():
    before = [run("2024-02-28T09:00:00Z", 100, 99), run("2024-02-29T09:00:00Z", 100, 97)]
    window = [run("2024-03-01T09:00:00Z", 100, 80)]
    report = compute(Window(since="2024-03-01"), Settings(), window, before)
    assert [f.file_id for f in report.files] == [window[0].file_id]
    assert [(a.kind, a.baseline) for a in report.alerts] == [("file", 0.98), ("day", 0.98)]
    assert report.alerts[1].reason == (
        "2024-03-01 scored 80% against a baseline of 98% over the previous 2 days, more than 5 points below it."
    )


def test_fail_under_alerts_and_names_the_files_under_it():
    runs = [run("2024-03-01T09:00:00Z", 100, 95), run("2024-03-02T09:00:00Z", 100, 93)]
    report = compute(Window(), Settings(fail_under=0.94), runs)
    assert [(a.kind, a.file_id, a.day) for a in report.alerts] == [
        ("file", runs[1].file_id, "2024-03-02"),
        ("day", None, "2024-03-02"),
    ]
    assert report.alerts[0].reason.endswith("scored 93%, under the fail-under threshold of 94%.")
    assert [f.file_id for f in under_fail_under(report)] == [runs[1].file_id]
    assert under_fail_under(compute(Window(), Settings(), runs)) == []


def test_an_empty_window():
    report = compute(Window(since="2020-01-01", until="2020-01-31"), Settings(), [])
    assert report.empty and report.files == [] and report.days == [] and report.alerts == []
    assert (report.totals.records, report.totals.quality_score, report.totals.quality_score_now) == (0, None, None)


@pytest.mark.parametrize(("fraction", "text"), [(0.4804, "48%"), (0.995, "99.5%"), (1.0, "100%"), (0.0, "0%")])
def test_percent(fraction, text):
    assert percent(fraction) == text


def test_a_replay_is_a_run_of_the_same_file_counted_once_with_its_outcomes_current():
    """Issue 22, item 2: one replay of a 4-record file made `Files 2, Records 8` and alerted against a baseline
    holding the file's own first run. The file counts once; the latest replay's outcomes are its current ones,
    with the redrives since it (a redrive before it is in its outcomes)."""
    arrival, replayed, again = "2024-03-01T09:00:00Z", "2024-03-02T09:00:00Z", "2024-03-03T09:00:00Z"
    events = [
        completed("G", "2024-02-29T09:00:00Z", "incoming/good.json", 10, 10),
        event(EventKind.FILE_ACCEPTED, "S", arrival, "incoming/s.json", records=4),
        completed("S", arrival, "incoming/s.json", 4, 1),  # 3 quarantined
        event(EventKind.FILE_REPLAYED, "S", replayed, "incoming/s.json", replay_of=arrival),
        completed("S", replayed, "incoming/s.json", 4, 0, 2),  # its own order, and one a redrive stored
        event(EventKind.FILE_REPLAYED, "S", again, "incoming/s.json", replay_of=replayed),
        event(EventKind.FILE_FAILED, "S", again, "incoming/s.json", reason="it stopped"),  # not current
    ]
    runs = runs_of(events)
    assert [(r.file_id, r.at) for r in runs] == [("G", "2024-02-29T09:00:00Z"), ("S", arrival)]
    accounts = [
        {"at": "2024-03-01T12:00:00Z", "redriven": 1, "resolved": 1},  # before the replay: in its outcomes
        {"at": "2024-03-02T12:00:00Z", "redriven": 1, "resolved": 1},  # after it
    ]
    s = with_redrives(runs[1], accounts)
    report = compute(Window(), Settings(), [runs[0], s])
    t = report.totals
    assert (t.files, t.records, t.stored, t.quarantined, t.redriven) == (2, 14, 11, 3, 2)
    entry = report.files[1]
    assert (entry.at, entry.records, entry.quality_score) == (arrival, 4, 0.25)  # at arrival
    assert entry.quality_score_now == 0.75  # the replay's 2 good of 4, and 1 a redrive resolved since
    assert t.quality_score_now == round((10 + 3) / 14, 4)
    # judged once, at arrival, against the files before it: never against its own earlier run
    assert [(a.file_id, a.baseline) for a in report.alerts if a.kind == "file"] == [("S", 1.0)]
    # a replay whose file arrived before the days read is not a file of those days
    assert runs_of(events[3:5]) == []
