"""A renamed command's old name (salesdq/cli/old_names.py) still runs the command, against a live stack (an
engine serving in this process, holding the brief's sample), printing what the new name prints, and says the new
name in one line on stderr; its help says it is the old name."""

from __future__ import annotations

import json

import pytest

from salesdq import cli

from .refusals import run


@pytest.fixture
def on_the_stack(monkeypatch: pytest.MonkeyPatch, live_stack: dict[str, str]) -> None:
    for name, value in live_stack.items():
        monkeypatch.setenv(name, value)


def test_dlq_is_the_old_name_of_quarantine(capsys: pytest.CaptureFixture[str], on_the_stack: None) -> None:
    new = run(capsys, ["quarantine", "list", "--json"])
    old = run(capsys, ["dlq", "list", "--json"])

    assert (new.status, new.err) == (0, "")
    assert json.loads(new.out), "the sample quarantines records"
    assert (old.status, old.out) == (0, new.out)
    assert old.err == 'salesdq: "dlq" is now "quarantine": salesdq quarantine list\n'


def test_the_old_names_help_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())  # argparse wraps the help at the terminal's width
    assert 'dlq the old name of "quarantine"' in listed
