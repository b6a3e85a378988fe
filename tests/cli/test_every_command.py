"""Every command of the parser, in-process, with malformed arguments, odd paths and a dead endpoint: what comes
back is an exit status (2 for a usage error, 1 for a stack that cannot be reached) and a few lines on stderr
naming the reason, never a traceback, and nothing starts: the endpoint is a closed port and the embedded engine
refuses to be built, so a check that lets a bad argument through fails the case with another status."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from .commands import MALFORMED, Command, commands, groups, malformed_key, sales_file
from .refusals import refused, run

pytestmark = pytest.mark.usefixtures("dead_stack")

COMMANDS = commands()


def ids(command: Command, *rest: object) -> str:
    return "-".join([command.name.replace(" ", "-"), *map(str, rest)])


# ------------------------------------------------------------------------------------------- malformed arguments


@pytest.mark.parametrize("words", groups(), ids=lambda w: " ".join(w) or "salesdq")
def test_a_group_without_its_command(capsys: pytest.CaptureFixture[str], words: tuple[str, ...]) -> None:
    refused(run(capsys, list(words)), 2, "required")


@pytest.mark.parametrize("command", COMMANDS, ids=ids)
def test_an_unknown_option(capsys: pytest.CaptureFixture[str], command: Command, tmp_path: Path) -> None:
    refused(run(capsys, [*command.argv(tmp_path), "--no-such-option"]), 2, "--no-such-option")


REQUIRED = [(c, a) for c in COMMANDS for a in c.actions if a.required]


@pytest.mark.parametrize(("command", "action"), REQUIRED, ids=[ids(c, a.dest) for c, a in REQUIRED])
def test_a_missing_argument(
    capsys: pytest.CaptureFixture[str], command: Command, action: argparse.Action, tmp_path: Path
) -> None:
    argv = command.argv(tmp_path)
    given = argv[len(command.words) :]
    if action.option_strings:
        at = given.index(action.option_strings[0])
        del given[at : at + 2]
    else:
        given.remove(str(command.path_value(action, tmp_path)) if action.type is Path else "x")
    refused(run(capsys, [*command.words, *given]), 2, "required")


def _malformed(action: argparse.Action) -> list[str]:
    key = malformed_key(action)
    return MALFORMED[key] if key else ["nope"] if action.choices else []


MALFORMED_CASES = [(c, a, value) for c in COMMANDS for a in c.actions for value in _malformed(a)]


@pytest.mark.parametrize(
    ("command", "action", "value"), MALFORMED_CASES, ids=[ids(c, a.dest, v) for c, a, v in MALFORMED_CASES]
)
def test_a_malformed_value(
    capsys: pytest.CaptureFixture[str], command: Command, action: argparse.Action, value: str, tmp_path: Path
) -> None:
    refused(run(capsys, command.argv(tmp_path, {action.dest: value})), 2, action.option_strings[0])


def test_every_option_that_parses_its_value_has_a_malformed_case() -> None:
    """A new option with a type or a metavar of a parsed kind joins MALFORMED, or this names it."""
    parsed_kinds = {"DAY", "SCORE", "SPEC", "N", "SECONDS", "PORT"}
    missing = [
        f"{c.name} {a.option_strings[0]}"
        for c in COMMANDS
        for a in c.actions
        if a.option_strings
        and a.nargs != 0
        and a.type is not Path
        and not a.choices
        and (a.type is not None or a.metavar in parsed_kinds)
        and malformed_key(a) is None
    ]
    assert missing == []


# ------------------------------------------------------------------------------------------------- odd paths


def _not_utf8(tmp: Path) -> Path:
    return tmp / os.fsdecode(b"sales-\xff.jsonl")


def _input(kind: str, tmp: Path) -> Path:
    """An input path of `kind` (every one exists, but `missing`)."""
    if kind == "missing":
        return tmp / "missing.jsonl"
    if kind == "directory":
        (tmp / "folder.jsonl").mkdir()
        return tmp / "folder.jsonl"
    if kind == "fifo":
        os.mkfifo(tmp / "pipe.jsonl")
        return tmp / "pipe.jsonl"
    if kind == "devnull":
        return Path(os.devnull)
    if kind == "too-long":
        return tmp / ("x" * 300 + ".jsonl")  # past NAME_MAX (255 bytes on Linux filesystems)
    path = {"newline": tmp / "two\nlines.jsonl", "tab": tmp / "a\tb.jsonl", "not-utf8": _not_utf8(tmp)}[kind]
    path.write_bytes(sales_file(tmp).read_bytes())
    return path


INPUT_SAYS = {
    "missing": "no such file",
    "directory": "is a directory",
    "fifo": "not a regular file (a FIFO)",
    "devnull": "not a regular file (a character device)",
    "too-long": "File name too long",
    "newline": "control character (\\n)",
    "tab": "control character (\\t)",
    "not-utf8": "not UTF-8",
}
INPUTS = [(c, a, kind) for c in COMMANDS for a in c.paths() if not c.is_output(a) for kind in INPUT_SAYS]


@pytest.mark.parametrize(("command", "action", "kind"), INPUTS, ids=[ids(c, a.dest, k) for c, a, k in INPUTS])
def test_an_odd_input_path(
    capsys: pytest.CaptureFixture[str], command: Command, action: argparse.Action, kind: str, tmp_path: Path
) -> None:
    argv = command.argv(tmp_path, {action.dest: str(_input(kind, tmp_path))})
    refused(run(capsys, argv), 2, INPUT_SAYS[kind])


def _output(kind: str, directory: bool, tmp: Path) -> Path:
    existing_file = tmp / "file.txt"
    existing_file.write_text("", encoding="utf-8")
    (tmp / "folder").mkdir()
    return {
        "other-kind": existing_file if directory else tmp / "folder",
        "under-a-file": existing_file / "out",
        "unwritable": Path("/proc/self/salesdq-out"),  # no one may create a file there, root included
        "newline": tmp / "two\nlines",
        "not-utf8": _not_utf8(tmp),
        "too-long": tmp / ("x" * 300),
    }[kind]


OUTPUT_SAYS = {
    "other-kind": "",
    "under-a-file": "file.txt is not a directory",
    "unwritable": "/proc/self is not writable",
    "newline": "control character (\\n)",
    "not-utf8": "not UTF-8",
    "too-long": "File name too long",
}
OUTPUTS = [(c, a, kind) for c in COMMANDS for a in c.paths() if c.is_output(a) for kind in OUTPUT_SAYS]


@pytest.mark.parametrize(("command", "action", "kind"), OUTPUTS, ids=[ids(c, a.dest, k) for c, a, k in OUTPUTS])
def test_an_odd_output_path(
    capsys: pytest.CaptureFixture[str], command: Command, action: argparse.Action, kind: str, tmp_path: Path
) -> None:
    directory = command.is_directory(action)
    path = _output(kind, directory, tmp_path)
    says = OUTPUT_SAYS[kind] or ("exists and is not a directory" if directory else "is a directory")
    refused(run(capsys, command.argv(tmp_path, {action.dest: str(path)})), 2, action.option_strings[0], says)


def test_every_path_argument_is_checked() -> None:
    """The parser's path arguments are the ones the cases above reach: a new one is covered or named here."""
    reached = {(c.name, a.dest) for c, a, _ in INPUTS + OUTPUTS}
    assert reached == {(c.name, a.dest) for c in COMMANDS for a in c.paths()}
    assert {c.name for c, _, _ in INPUTS} >= {"local run", "upload", "redrive"}
    assert {c.name for c, _, _ in OUTPUTS} >= {"local run", "quarantine export", "report", "audit rebuild"}


# ------------------------------------------------------------------------------------------------ the endpoint

STACKED = [c for c in COMMANDS if c.takes_a_stack]


@pytest.mark.parametrize("command", STACKED, ids=ids)
def test_a_dead_endpoint(capsys: pytest.CaptureFixture[str], command: Command, tmp_path: Path, dead_stack: str) -> None:
    refused(run(capsys, command.argv(tmp_path)), 1, f"no salesdq stack reachable at {dead_stack}")


@pytest.mark.parametrize("endpoint", ["notaurl", "127.0.0.1:4566", "http://", "http://host:port", "http://a b"])
@pytest.mark.parametrize("command", STACKED, ids=ids)
def test_an_endpoint_that_is_not_a_url(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: Command,
    endpoint: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    refused(run(capsys, command.argv(tmp_path)), 2, f"AWS_ENDPOINT_URL={endpoint} is not an http(s) URL")
