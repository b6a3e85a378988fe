"""Every command that reaches a stack, against a live one (an engine serving in this process, holding the
brief's sample), with odd text wherever it takes free text (an id, a name, a filter, a note): empty, a newline,
a right-to-left override, 2,000 characters. Whatever the command makes of it, it answers with an exit status
(0, 1 or 2) and at most one line of its own on stderr, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from .commands import Command, commands, malformed_key
from .refusals import MAX_USAGE_LINES, run

ODD = {"empty": "", "newline": "two\nlines", "rtl-override": "\u202eevil", "long": "x" * 2_000}


def _free_text(action: argparse.Action) -> bool:
    """An argument whose value is any text: no type, no choices, no parsed kind (those are MALFORMED's)."""
    return action.nargs != 0 and action.type is None and not action.choices and malformed_key(action) is None


CASES = [
    (c, a, kind)
    for c in commands()
    if c.takes_a_stack
    for a in c.actions
    if _free_text(a) and a.dest != "stack"  # --stack names a deployment: test_every_command's dead endpoint
    for kind in ODD
]


@pytest.mark.parametrize(
    ("command", "action", "kind"),
    CASES,
    ids=["-".join([c.name.replace(" ", "-"), a.dest, k]) for c, a, k in CASES],
)
def test_odd_text(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    live_stack: dict[str, str],
    command: Command,
    action: argparse.Action,
    kind: str,
    tmp_path: Path,
) -> None:
    for name, value in live_stack.items():
        monkeypatch.setenv(name, value)

    outcome = run(capsys, command.argv(tmp_path, {action.dest: ODD[kind]}))

    assert "Traceback" not in outcome.err, outcome.err
    assert outcome.status in (0, 1, 2), outcome
    lines = outcome.err.splitlines()
    assert len(lines) <= (MAX_USAGE_LINES if lines and lines[0].startswith("usage:") else 1), outcome.err


def test_the_cases_reach_every_command_that_takes_text() -> None:
    reached = {c.name for c, _, _ in CASES}
    assert {"history", "quarantine resolve", "quarantine list", "runs retry", "replay file", "report"} <= reached
