"""`salesdq report` against `salesdq local up`, every command a subprocess: files of known content (the brief's
sample, mock-data.json, a rejected file, a duplicate upload) and a redrive of some of mock-data's records.

Every number of the JSON report is checked against what the independent oracle (helpers.py) says those inputs
must give, never against salesdq's own output; the CSVs against the JSON; the report's numbers against the
audit events `salesdq local run --out` writes for the same files; bad input against exit 2 and one line."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .helpers import MOCK_DATA, SAMPLE, Expected, Oracle, Run, local_up, salesdq

pytestmark = pytest.mark.e2e

REJECTED = b'{"orders": [{"order-info": '  # not a JSON document: rejected whole
EXAMPLES = 3  # quarantine ids a report shows per rule


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    with local_up() as up:
        yield {**up, "COLUMNS": "200"}


def records_of(path: Path) -> list[Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["orders"] if isinstance(document, dict) else document


@dataclass
class Expectation:
    """What the oracle says of each uploaded file, and of the redrive."""

    files: dict[str, Path]  # key as uploaded -> local path
    outcomes: dict[str, list[Expected]] = field(default_factory=dict)  # completed files, by key
    file_ids: dict[str, str] = field(default_factory=dict)
    redriven: dict[str, Expected] = field(default_factory=dict)  # quarantine id -> the correction's expected outcome

    def resolved(self) -> int:
        return sum(e.outcome != "quarantined" for e in self.redriven.values())


@pytest.fixture(scope="module")
def history(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Expectation:
    """Upload the four files in order, then redrive corrections of some of mock-data's quarantined records."""
    data = tmp_path_factory.mktemp("report-data")
    rejected = data / "truncated.json"
    rejected.write_bytes(REJECTED)
    paths = [SAMPLE, MOCK_DATA, rejected, Path(shutil.copy(SAMPLE, data / "brief-sample-copy.json"))]
    expect = Expectation({f"incoming/{p.name}": p for p in paths})
    oracle = Oracle()
    for key, path in expect.files.items():
        expect.file_ids[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        if path in (SAMPLE, MOCK_DATA):
            expect.outcomes[key] = oracle.run(records_of(path))
    uploaded = salesdq(env, "upload", *paths, "--wait", "--json", "--progress", "never")
    assert uploaded.returncode == 1, uploaded.stderr  # the rejected file
    assert [f["status"] for f in json.loads(uploaded.stdout)["files"]] == [
        "completed",
        "completed",
        "rejected",
        "duplicate",
    ]

    # Corrections: a qty fixed where qty was all that was wrong, for order ids not stored yet (the oracle says
    # each is stored), and one qty "fixed" to a value still invalid (quarantined again).
    export = data / "export.jsonl"
    assert salesdq(env, "quarantine", "export", "--file", "incoming/mock-data.json", "--out", export).returncode == 0
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    qty_only = [line for line in lines if {r["field"] for r in line["reasons"]} == {"order-info.qty"}]
    fixes, seen = [], set(oracle.stored)
    for line in qty_only:
        if line["order_id"] not in seen and len(fixes) < 4:
            seen.add(line["order_id"])
            line["record"]["order-info"]["qty"] = "1"
            fixes.append(line)
    still_bad = next(line for line in qty_only if line not in fixes)
    still_bad["record"]["order-info"]["qty"] = "2.5"
    batch = [*fixes, still_bad]
    assert len(fixes) >= 2
    for line, want in zip(batch, oracle.run([line["record"] for line in batch]), strict=True):
        expect.redriven[line["id"]] = want
    assert [e.outcome for e in expect.redriven.values()] == ["stored"] * len(fixes) + ["quarantined"]
    corrections = data / "fixed.jsonl"
    corrections.write_text("".join(json.dumps(line) + "\n" for line in batch))
    redriven = salesdq(env, "redrive", corrections, "--wait", "--json", "--progress", "never")
    assert redriven.returncode == 0, redriven.stderr
    assert len(json.loads(redriven.stdout)["redriven"]) == len(batch)
    return expect


@pytest.fixture(scope="module")
def report(env: dict[str, str], history: Expectation) -> dict[str, Any]:
    result = salesdq(env, "report", "--json")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def score(good: int, records: int) -> float | None:
    return round(good / records, 4) if records else None


def test_each_file_as_the_oracle_says(report: dict[str, Any], history: Expectation) -> None:
    rows = {f["file"]: f for f in report["files"]}
    assert list(rows) == list(history.files)  # in upload order, one row a file run
    for key, row in rows.items():
        assert row["file_id"] == history.file_ids[key]
        assert row["contract_version"] is None or isinstance(row["contract_version"], str)
    for key, outcomes in history.outcomes.items():
        row, by = rows[key], Counter(e.outcome for e in outcomes)
        good = by["stored"] + by["duplicate"]
        redriven = [
            e for quarantine_id, e in history.redriven.items() if quarantine_id.startswith(history.file_ids[key])
        ]
        resolved = sum(e.outcome != "quarantined" for e in redriven)
        assert row == {
            **row,
            "status": "completed",
            "records": len(outcomes),
            "stored": by["stored"],
            "duplicates": by["duplicate"],
            "quarantined": by["quarantined"],
            "redriven": len(redriven),
            "quality_score": score(good, len(outcomes)),
            "quality_score_now": score(good + resolved, len(outcomes)),
            "reason": None,
        }
    assert rows["incoming/brief-sample.json"]["quality_score"] == 0.52
    assert rows["incoming/mock-data.json"]["redriven"] == len(history.redriven) > 0
    rejected = rows["incoming/truncated.json"]
    assert (rejected["status"], rejected["records"], rejected["quality_score"]) == ("rejected", 0, None)
    assert "truncated" in rejected["reason"]  # the file ends inside a JSON value
    duplicate = rows["incoming/brief-sample-copy.json"]
    assert (duplicate["status"], duplicate["records"], duplicate["quality_score"]) == ("duplicate", 0, None)
    assert duplicate["reason"] == "same bytes as incoming/brief-sample.json"


def test_totals_failures_days_and_alerts(report: dict[str, Any], history: Expectation) -> None:
    every = [e for outcomes in history.outcomes.values() for e in outcomes]
    records = len(every)
    by = Counter(e.outcome for e in every)
    good = by["stored"] + by["duplicate"]
    assert report["window"] == {"since": None, "until": None, "file": None}
    assert report["empty"] is False
    assert report["totals"] == {
        "files": 4,
        "records": records,
        "stored": by["stored"],
        "duplicates": by["duplicate"],
        "quarantined": by["quarantined"],
        "redriven": len(history.redriven),
        "quality_score": score(good, records),
        "quality_score_now": score(good + history.resolved(), records),
    }
    rules = Counter(rule for e in every for rule in {r for _, r in e.reasons})
    fields = Counter(name for e in every for name in {f for f, _ in e.reasons})
    by_rule = report["failures"]["by_rule"]
    assert {r["rule"]: r["count"] for r in by_rule} == dict(rules)
    assert [r["count"] for r in by_rule] == sorted(rules.values(), reverse=True)
    assert {f["field"]: f["count"] for f in report["failures"]["by_field"]} == dict(fields)
    for entry in [*by_rule, *report["failures"]["by_field"]]:
        assert entry["share"] == round(entry["count"] / records, 4)
    # each rule's examples: quarantine ids of records that broke it, as `quarantine export --rule` finds them
    broke: dict[str, set[str]] = {rule: set() for rule in rules}
    for key, outcomes in history.outcomes.items():
        for index, expected in enumerate(outcomes):
            for _, rule in expected.reasons:
                broke[rule].add(f"{history.file_ids[key]}:{index}")
    for entry in by_rule:
        assert len(entry["examples"]) == min(EXAMPLES, entry["count"])
        assert set(entry["examples"]) <= broke[entry["rule"]], entry["rule"]
    # one day (the runs' day), holding every file
    days = sorted({f["at"][:10] for f in report["files"]})
    assert [d["day"] for d in report["days"]] == days
    assert sum(d["files"] for d in report["days"]) == 4
    assert sum(d["records"] for d in report["days"]) == records
    # mock-data scores far below the one file before it: one file alert, with that file's score as baseline
    sample, mock = (score(sum(e.outcome != "quarantined" for e in o), len(o)) for o in history.outcomes.values())
    assert sample is not None and mock is not None and sample - mock > 0.05
    file_alerts = [a for a in report["alerts"] if a["kind"] == "file"]
    assert [(a["file"], a["quality_score"], a["baseline"]) for a in file_alerts] == [
        ("incoming/mock-data.json", mock, sample)
    ]
    assert report["settings"] == {"baseline_window": 7, "margin": 0.05, "fail_under": None}


def test_examples_lead_to_the_records(env: dict[str, str], report: dict[str, Any], tmp_path: Path) -> None:
    rule = report["failures"]["by_rule"][0]
    out = tmp_path / "rule.jsonl"
    assert salesdq(env, "quarantine", "export", "--rule", rule["rule"], "--out", out).returncode == 0
    exported = {json.loads(line)["id"] for line in out.read_text().splitlines()}
    assert set(rule["examples"]) <= exported


def test_the_csvs_hold_the_json(env: dict[str, str], report: dict[str, Any], tmp_path: Path) -> None:
    result = salesdq(env, "report", "--csv", tmp_path / "csv")
    assert result.returncode == 0, result.stderr
    assert "files.csv" in result.stdout

    def rows(name: str) -> list[dict[str, str]]:
        with (tmp_path / "csv" / name).open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    # every column of a file's entry but its list of file-level rules (its verdict and reason say what they found)
    assert rows("files.csv") == [{k: cell(v) for k, v in f.items() if k != "file_rules"} for f in report["files"]]
    assert rows("days.csv") == [{k: cell(v) for k, v in d.items()} for d in report["days"]]
    failures = [
        {
            "by": "rule",
            "name": r["rule"],
            "count": str(r["count"]),
            "share": str(r["share"]),
            "examples": " ".join(r["examples"]),
        }
        for r in report["failures"]["by_rule"]
    ] + [
        {"by": "field", "name": f["field"], "count": str(f["count"]), "share": str(f["share"]), "examples": ""}
        for f in report["failures"]["by_field"]
    ]
    assert rows("failures.csv") == failures


def test_the_html_page_and_the_terminal(env: dict[str, str], report: dict[str, Any], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = salesdq(env, "report", "--html", page)
    assert result.returncode == 0 and result.stdout.strip() == f"wrote {page}"
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert all(f["file"] in html for f in report["files"])
    shown = salesdq(env, "report")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Data-quality report: the whole audit history"
    assert any("incoming/mock-data.json scored" in line for line in lines)  # the alert, first
    assert any(line.startswith("incoming/brief-sample.json") and "52.0%" in line for line in lines)


def test_fail_under_fails_when_a_file_scores_under_it(env: dict[str, str], report: dict[str, Any]) -> None:
    lowest = min(f["quality_score"] for f in report["files"] if f["quality_score"] is not None)
    failed = salesdq(env, "report", "--json", "--fail-under", "0.9")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["settings"]["fail_under"] == 0.9
    assert "2 of 4 files scored under 90%" in failed.stderr and "incoming/brief-sample.json (52%)" in failed.stderr
    assert salesdq(env, "report", "--json", "--fail-under", f"{lowest * 100 - 1:.0f}%").returncode == 0


def test_one_file_and_windows(env: dict[str, str], report: dict[str, Any], history: Expectation) -> None:
    sample_id = history.file_ids["incoming/brief-sample.json"]
    by_id = json.loads(salesdq(env, "report", "--file", sample_id, "--json").stdout)
    assert [f["file"] for f in by_id["files"]] == ["incoming/brief-sample.json", "incoming/brief-sample-copy.json"]
    by_name = json.loads(salesdq(env, "report", "--file", "mock-data.json", "--json").stdout)
    assert by_name["files"] == [f for f in report["files"] if f["file"] == "incoming/mock-data.json"]
    day = report["days"][0]["day"]
    same = json.loads(salesdq(env, "report", "--since", day, "--until", day, "--json").stdout)
    assert (same["files"], same["totals"], same["failures"]) == (report["files"], report["totals"], report["failures"])
    empty = salesdq(env, "report", "--since", "2001-01-01", "--until", "2001-01-31")
    assert empty.returncode == 0
    assert "This report is empty: no file arrived in 2001-01-01 to 2001-01-31." in empty.stdout
    document = json.loads(salesdq(env, "report", "--since", "2001-01-01", "--until", "2001-01-31", "--json").stdout)
    assert document["empty"] is True and document["files"] == [] and document["totals"]["records"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13-01"], "--since: '2024-13-01' is not a day: write it YYYY-MM-DD"),
        (["--until", "yesterday"], "--until: 'yesterday' is not a day"),
        (["--since", "2024-03-05", "--until", "2024-03-01"], "--since 2024-03-05 is after --until 2024-03-01"),
        (["--file", "nope.json"], "no file 'nope.json' in the audit history"),
        (["--fail-under", "1.5"], "--fail-under: '1.5' is not a score"),
        (["--json", "--csv", "x"], "not allowed with argument"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(env: dict[str, str], history: Expectation, args: list[str], message: str):
    result = salesdq(env, "report", *args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_report_agrees_with_the_audit_events_of_local_run(run_cli, report: dict[str, Any], history: Expectation):
    """The same files through `salesdq local run --out`: its per-record audit events give the report's numbers."""
    run: Run = run_cli(list(history.files.values()))
    events = [e for e in run.audit if e.get("event") in ("record.stored", "record.duplicate", "record.quarantined")]
    for row in report["files"]:
        (summary,) = [f for f in run.files if Path(f["file"]).name == Path(row["file"]).name]
        assert summary["status"] == row["status"]
        if row["status"] != "completed":
            continue
        mine = [e for e in events if e["file_id"] == row["file_id"]]
        by = Counter(e["outcome"] for e in mine)
        assert (row["records"], row["stored"], row["duplicates"], row["quarantined"]) == (
            len(mine),
            by["stored"],
            by["duplicate"],
            by["quarantined"],
        )
        (completed,) = [e for e in run.file_events("file.completed") if e["file_id"] == row["file_id"]]
        assert row["contract_version"] == completed.get("contract_version")
    rules = Counter(rule for e in events for rule in {r["rule"] for r in e["reasons"]})
    fields = Counter(name for e in events for name in {r["field"] for r in e["reasons"]})
    assert {r["rule"]: r["count"] for r in report["failures"]["by_rule"]} == dict(rules)
    assert {f["field"]: f["count"] for f in report["failures"]["by_field"]} == dict(fields)
    assert report["totals"]["records"] == len(events)


def test_a_replayed_file_counts_once(tmp_path: Path) -> None:
    """Issue 22, item 2, as reported: after one replay of a 4-record file, `report --file s.json` said `Files 2,
    Records 8` and alerted against a baseline holding the file's own first run."""
    records = [
        {"order-info": {"OrderId": "s1", "item-id": "I", "qty": 1}, "contact-info": {"name": "A", "email": "a@b.co"}},
        {"order-info": {"OrderId": "s2", "item-id": "I", "qty": 0}, "contact-info": {"name": "A", "email": "a@b.co"}},
        {"order-info": {"OrderId": "s3", "item-id": "I", "qty": 1}, "contact-info": {"name": "A", "email": "nope"}},
        {"order-info": {"OrderId": "s4", "item-id": "I", "qty": 1}, "contact-info": {"name": "", "email": "a@b.co"}},
    ]
    good = sum(e.outcome != "quarantined" for e in Oracle().run(records))
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"orders": records}))
    with local_up() as up:
        env = {**up, "COLUMNS": "200"}
        assert salesdq(env, "upload", path, "--wait", "--progress", "never").returncode == 0
        replayed = salesdq(env, "replay", "file", "s.json", "--progress", "never")
        assert replayed.returncode == 0, replayed.stderr
        for args in (["--file", "s.json"], []):
            result = salesdq(env, "report", "--json", *args)
            assert result.returncode == 0, result.stderr
            document = json.loads(result.stdout)
            totals = document["totals"]
            assert (totals["files"], totals["records"]) == (1, len(records)), args
            assert totals["quality_score"] == totals["quality_score_now"] == score(good, len(records))
            assert document["alerts"] == []  # no file before it: no baseline


def test_a_short_file_id_names_the_file_everywhere(env: dict[str, str], history: Expectation) -> None:
    """The 12 characters `runs` shows (8+ are enough) name a file in `quarantine list --file` and `report --file` as its
    name does; a filter matching nothing says so; a rejected file's item says why; `history` trims the id."""
    mock = history.file_ids["incoming/mock-data.json"]

    def listed(*args: str) -> list[dict[str, Any]]:
        result = salesdq(env, "quarantine", "list", *args, "--json")
        assert result.returncode == 0, result.stderr
        items: list[dict[str, Any]] = json.loads(result.stdout)
        return items

    by_name = listed("--file", "mock-data.json")
    expected_open = sum(e.outcome == "quarantined" for e in history.outcomes["incoming/mock-data.json"])
    assert len(by_name) == expected_open - history.resolved()  # a redrive resolved these; the rest are open
    for prefix in (mock[:12], mock[:8], mock[:12].upper()):
        assert listed("--file", prefix) == by_name, prefix
    assert all(
        item["id"].startswith(f"{mock}:") for item in by_name
    )  # a record's quarantine id starts with its file's id
    report_by_name = json.loads(salesdq(env, "report", "--file", "mock-data.json", "--json").stdout)
    by_prefix = salesdq(env, "report", "--file", mock[:12], "--json")
    assert by_prefix.returncode == 0, by_prefix.stderr
    assert json.loads(by_prefix.stdout)["files"] == report_by_name["files"] != []

    nothing = salesdq(env, "quarantine", "list", "--file", "0000000000ff", "--rule", "email")
    assert (nothing.returncode, nothing.stdout) == (
        0,
        "no open quarantined item matches --file 0000000000ff --rule email\n",
    )
    assert salesdq(env, "runs", "--status", "failed").stdout == "no failed runs\n"

    (rejected,) = salesdq(env, "quarantine", "list", "--file", "truncated.json").stdout.splitlines()[1:]
    assert rejected.startswith(f"file:{history.file_ids['incoming/truncated.json']}")
    assert "file_rejected: the file is truncated" in rejected

    order_id = next(e.order_id for e in history.outcomes["incoming/brief-sample.json"] if e.outcome == "stored")
    assert order_id is not None
    exact = salesdq(env, "history", order_id, "--json")
    padded = salesdq(env, "history", f"  {order_id}\t", "--json")
    assert exact.returncode == padded.returncode == 0, padded.stderr
    assert json.loads(padded.stdout) == json.loads(exact.stdout) != []


def test_a_redrive_batch_is_refused_by_replay_file_saying_why(env: dict[str, str], history: Expectation) -> None:
    """`runs` lists the redrive batch's run under its name; `replay file` with that name says why it is not
    replayed (last in the module: on a build that replays it, the history changes)."""
    listed = json.loads(salesdq(env, "runs", "--json").stdout)
    (batch,) = [run["file"] for run in listed if run["file"].startswith("redrive/")]
    refused = salesdq(env, "replay", "file", batch, "--progress", "never")
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert refused.stdout == ""
    assert f"salesdq: {batch} is a redrive batch" in refused.stderr
    assert "salesdq replay file NAME" in refused.stderr and "Traceback" not in refused.stderr
