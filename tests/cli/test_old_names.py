"""A renamed command's old name (salesdq/cli/old_names.py) still runs the command, against a live stack (an
engine serving in this process, holding the brief's sample), printing what the new name prints, and says the new
name in one line on stderr; its help says it is the old name."""

from __future__ import annotations

import json
from pathlib import Path

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


@pytest.mark.parametrize("name", ["verify", "rebuild", "repair"])
def test_replay_verify_rebuild_repair_are_the_old_names_of_audit_s(
    capsys: pytest.CaptureFixture[str], on_the_stack: None, name: str, tmp_path: Path
) -> None:
    def out(called: str) -> list[str]:  # rebuild's own --out: a fresh directory for each
        return ["--out", str(tmp_path / called)] if name == "rebuild" else []

    new = run(capsys, ["audit", name, "--json", *out("new")])
    old = run(capsys, ["replay", name, "--json", *out("old")])

    assert (new.status, new.err) == (0, "")
    assert (old.status, json.loads(old.out) | {"out": None}) == (0, json.loads(new.out) | {"out": None})
    assert old.err == f'salesdq: "replay {name}" is now "audit {name}": salesdq audit {name}\n'


def test_the_old_names_help_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())  # argparse wraps the help at the terminal's width
    assert 'dlq the old name of "quarantine"' in listed
    with pytest.raises(SystemExit):
        cli.main(["replay", "--help"])
    listed = " ".join(capsys.readouterr().out.split())
    for name in ("verify", "rebuild", "repair"):
        assert f'{name} the old name of "audit {name}"' in listed
