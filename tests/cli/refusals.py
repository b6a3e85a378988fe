"""A command run in-process, and what a refusal must look like: its exit status, nothing on stdout, no
traceback, one line of salesdq's (or argparse's usage and error line) saying why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from salesdq import cli

MAX_USAGE_LINES = 8  # argparse's own refusals: the usage (wrapped) and one error line


@dataclass(frozen=True)
class Outcome:
    status: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Outcome:
    capsys.readouterr()
    try:
        status = cli.main(argv)
    except SystemExit as exit_:  # argparse's refusals
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def refused(outcome: Outcome, status: int, *said: str) -> list[str]:
    """The command was refused with `status`: nothing on stdout, no traceback, salesdq's one line (or argparse's
    usage and its error line), naming each of `said`."""
    lines = outcome.err.splitlines()
    assert "Traceback" not in outcome.err, outcome.err
    assert (outcome.status, outcome.out) == (status, ""), outcome
    assert lines and lines[-1].startswith("salesdq"), outcome.err
    if lines[0].startswith("usage:"):
        assert status == 2 and ": error: " in lines[-1] and len(lines) <= MAX_USAGE_LINES, outcome.err
    else:
        assert len(lines) == 1, outcome.err
    for words in said:
        assert words in outcome.err, (words, outcome.err)
    return lines
