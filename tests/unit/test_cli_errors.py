"""What a user can act on is one line on stderr and an exit status, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from salesdq import cli
from salesdq.cli import exits, options
from salesdq.errors import (
    EngineFailedError,
    FollowError,
    NotFoundError,
    OperationFailedError,
    SalesdqError,
    StackNotFoundError,
    UsageError,
)
from salesdq.locate import StackRef
from salesdq.operators.what_if import OutcomesMissingError
from services.dal.errors import StoreError
from services.dal.executions import ExecutionNotFoundError
from services.dal.quarantine_queue import HoldExpiredError
from services.dal.quarantine_view import QuarantineView
from services.ingest.read_file import FileRejectedError

REFUSAL = "an embedded engine is already running in this process"
MESSAGE = "the quarantine queue took longer than 900 s to read: message m came back after 12 were held"


def _stack() -> StackRef:
    return StackRef(
        "salesdq-inbox",
        "orders",
        "audit",
        "q",
        "arn:machine",
        "redrive",
        "quarantined",
        connect=lambda service: object(),
    )


@pytest.mark.parametrize("argv", [["quarantine", "list"], ["quarantine", "list", "--json"], ["quarantine", "export"]])
def test_a_quarantine_read_that_aws_refuses_is_reported_in_one_line_with_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    def refused(self: QuarantineView, **filters: Any) -> Iterator[dict[str, Any]]:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Scan")
        yield {}

    monkeypatch.setattr(options, "locate", lambda name, region: _stack())
    monkeypatch.setattr(QuarantineView, "items", refused)

    rc = cli.main(argv)

    captured = capsys.readouterr()
    assert rc == cli.EXIT_FAILED == 1
    assert captured.out in ("", "[]\n")
    assert captured.err.splitlines() == [
        "salesdq: AWS: An error occurred (AccessDeniedException) when calling the Scan operation: no"
    ]


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (UsageError("no such file: x.json"), 2, "salesdq: error: no such file: x.json"),
        (StackNotFoundError("no salesdq stack reachable at s"), 1, "salesdq: no salesdq stack reachable at s"),
        (NotFoundError("gone"), 1, "salesdq: gone"),
        (OperationFailedError("the redrive function failed: E: m"), 1, "salesdq: the redrive function failed: E: m"),
        (FollowError("f.json: the upload started no workflow execution"), 1, "salesdq: f.json: the upload"),
        (EngineFailedError("the embedded engine failed: boom"), 1, "salesdq: the embedded engine failed: boom"),
        (SalesdqError("anything else of ours"), 1, "salesdq: anything else of ours"),
        (HoldExpiredError(MESSAGE), 1, f"salesdq: {MESSAGE}"),
        (ExecutionNotFoundError("arn:x"), 1, "salesdq: no such workflow execution: arn:x"),
        (FileRejectedError("the file is empty"), 1, "salesdq: the file is empty"),
        # Any other error of the services' is theirs to say, once their base is mapped: not a traceback.
        (StoreError("DynamoDB throttled past 8 attempts"), 1, "salesdq: DynamoDB throttled past 8 attempts"),
        (OutcomesMissingError("the run of f at t recorded no outcomes"), 1, "salesdq: the run of f at t recorded"),
    ],
)
def test_every_kind_has_its_exit_status_and_line(
    capsys: pytest.CaptureFixture[str], error: Exception, status: int, line: str
) -> None:
    assert exits.report(error) == status
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1


def test_a_file_the_command_could_not_write_after_its_checks_is_one_line_without_python_s_dress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = FileNotFoundError(2, "No such file or directory", "/proc/x/report.html")
    assert exits.report(error) == 1
    assert capsys.readouterr().err == "salesdq: /proc/x/report.html: No such file or directory\n"


def test_a_message_that_holds_a_newline_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert exits.report(UsageError("no such file: two\nlines.json")) == 2
    assert capsys.readouterr().err == "salesdq: error: no such file: two\\nlines.json\n"


def test_history_of_an_id_with_a_newline_says_it_has_no_events_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(options, "locate", lambda name, region: _stack())
    monkeypatch.setattr("salesdq.cli.history.order_history", lambda stack, order_id: [])

    rc = cli.main(["history", "two\nlines"])

    assert (rc, capsys.readouterr().err) == (1, "no audit events for order two\\nlines\n")


def test_an_error_no_user_can_act_on_is_not_swallowed() -> None:
    with pytest.raises(KeyError):
        exits.report(KeyError("a bug"))


def test_an_engine_that_fails_in_local_run_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from salesdq_engine import Engine

    def broken(self: Engine) -> Any:
        raise RuntimeError("moto could not create the bucket")

    monkeypatch.setattr(Engine, "start", broken)
    sales = tmp_path / "orders.json"
    sales.write_text('{"orders": []}', encoding="utf-8")

    rc = cli.main(["local", "run", str(sales), "--progress", "never"])

    captured = capsys.readouterr()
    assert rc == 1
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err == "salesdq: the embedded engine failed: RuntimeError: moto could not create the bucket\n"


def test_an_engine_error_in_local_run_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from salesdq_engine import Engine, EngineError

    def refused(self: Engine) -> Any:
        raise EngineError(REFUSAL)

    monkeypatch.setattr(Engine, "start", refused)
    sales = tmp_path / "orders.jsonl"
    sales.write_text("", encoding="utf-8")

    rc = cli.main(["local", "run", str(sales), "--json", "--progress", "never"])

    captured = capsys.readouterr()
    assert rc == 1 and captured.out == "" and "Traceback" not in captured.err
    assert captured.err == f"salesdq: the embedded engine failed: {REFUSAL}\n"
