"""Exit 2 for usage errors: nothing runs, nothing on stdout, the reason on stderr."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salesdq import cli
from salesdq.operators.report import ReportRequest

from .helpers import SAMPLE, order, write_json

pytestmark = pytest.mark.e2e


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fails the test if a usage error still starts a run."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        pytest.fail("a usage error started a run")

    monkeypatch.setattr("salesdq.local.run.local_run", refuse)
    monkeypatch.setattr(cli, "local_run", refuse, raising=False)
    return calls


def _usage(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    try:
        rc = cli.main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        rc = exit_.code
    captured = capsys.readouterr()
    assert rc == cli.EXIT_USAGE == 2
    assert captured.out == ""
    assert captured.err.strip()
    return captured.err


def test_missing_file(capsys, no_engine, tmp_path):
    err = _usage(capsys, ["local", "run", str(tmp_path / "nope.json"), "--json"])
    assert "no such file" in err and "nope.json" in err


def test_missing_file_among_good_ones_runs_nothing(capsys, no_engine, tmp_path):
    good = write_json(tmp_path, "good.json", [order("1")])
    err = _usage(capsys, ["local", "run", str(good), str(tmp_path / "later.json")])
    assert "later.json" in err
    assert no_engine == []


def test_a_directory_is_not_a_file(capsys, no_engine, tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert f"{folder}: is a directory" in _usage(capsys, ["local", "run", str(folder)])


@pytest.mark.parametrize("name", ["orders.txt", "orders.csv", "orders", "orders.JSON.bak"])
def test_wrong_extension(capsys, no_engine, tmp_path, name):
    path = tmp_path / name
    path.write_text('{"orders": []}', encoding="utf-8")  # valid content does not matter
    err = _usage(capsys, ["local", "run", str(path)])
    assert name in err and ".json" in err and ".jsonl" in err


@pytest.mark.parametrize("value", ["0", "-1"])
def test_chunk_records_below_one(capsys, no_engine, value):
    err = _usage(capsys, ["local", "run", str(SAMPLE), "--chunk-records", value])
    assert "--chunk-records" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["local"],
        ["local", "run"],
        ["local", "run", "--json"],
        ["local", "run", str(SAMPLE), "--chunk-records", "many"],
        ["local", "run", str(SAMPLE), "--progress", "sometimes"],
        ["local", "run", str(SAMPLE), "--no-such-flag"],
        ["remote", "run", str(SAMPLE)],
    ],
    ids=["no-args", "no-subcommand", "no-files", "only-flags", "chunk-not-int", "bad-progress", "unknown-flag", "cmd"],
)
def test_bad_flags_and_missing_arguments(capsys, no_engine, argv):
    _usage(capsys, argv)


@pytest.fixture
def no_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if a usage error still reaches for a stack."""

    def refuse(*args: object) -> None:
        pytest.fail("a usage error reached for the stack")

    for module in ("report", "runs", "quarantine", "audit", "replay", "history"):
        monkeypatch.setattr(f"salesdq.cli.{module}.stack_ref", refuse)


def test_a_report_starting_after_today_is_a_usage_error(capsys, no_stack):
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for since in ("9999-12-31", tomorrow.isoformat()):
        err = _usage(capsys, ["report", "--since", since])
        assert f"--since {since} is after today" in err
    today = datetime.now(UTC).date()
    assert ReportRequest(since=today).check(today).since == today  # today itself is a window
