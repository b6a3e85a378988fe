"""Operator commands turn a failed DLQ read into one line on stderr and exit 1, not a traceback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from salesdq import cli
from services.dal.quarantine_queue import HoldExpiredError, QuarantineQueue

MESSAGE = "the quarantine queue took longer than 900 s to read: message m came back after 12 were held"


@pytest.mark.parametrize("argv", [["dlq", "list"], ["dlq", "list", "--json"], ["dlq", "export"]])
def test_a_dlq_read_that_outlasts_its_hold_is_reported_with_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    def expired(self: QuarantineQueue, visibility_s: int = 0) -> list[object]:
        raise HoldExpiredError(MESSAGE)

    stack = SimpleNamespace(bucket="salesdq-inbox", queue_url="q", client=lambda service: object())
    monkeypatch.setattr(cli, "_stack", lambda args: stack)
    monkeypatch.setattr(QuarantineQueue, "hold_all", expired)

    rc = cli.main(argv)

    captured = capsys.readouterr()
    assert rc == cli.EXIT_FAILED == 1
    assert captured.out == ""
    assert captured.err == f"salesdq: {MESSAGE}\n"
