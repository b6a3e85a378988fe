"""Every salesdq command, read from the argparse parser itself (a new command is covered without a line here),
and the arguments that make each of its invocations valid, malformed or odd."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from salesdq import cli

# A value each kind of option refuses, by metavar (or the option's name where it has none): malformed, never
# merely unusual. An option of a kind missing here has no malformed case; `test_every_typed_option_has_a_case`
# fails for one whose type or metavar says it parses its value.
MALFORMED = {
    "N": ["many", "1.5"],
    "DAY": ["yesterday", "2024-13-01", "24-03-01"],
    "SCORE": ["ninety", "2", "-0.1"],
    "SPEC": ["no-such-fault=1", "ddb-throttle=2", "ddb-throttle"],
    "--port": ["http", "0", "65536"],
    "--region": ["not a region", "eu_west_1"],
}


@dataclass(frozen=True)
class Command:
    """One command a user runs (a leaf of the parser): its words, and its parser."""

    words: tuple[str, ...]
    parser: argparse.ArgumentParser

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def actions(self) -> list[argparse.Action]:
        return [
            a
            for a in self.parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction | argparse._VersionAction)
        ]

    @property
    def takes_a_stack(self) -> bool:
        return any("--stack" in a.option_strings for a in self.actions)

    def paths(self) -> list[argparse.Action]:
        return [a for a in self.actions if a.type is Path]

    def argv(self, tmp: Path, given: dict[str, str] | None = None) -> list[str]:
        """The command with every required argument given a well-formed value (a file: a sales file that is
        also a redrive file; an output: a fresh path under tmp), and the values `given` by dest."""
        given = given or {}
        argv = list(self.words)
        for action in self.actions:
            value = given.get(action.dest)
            if value is None and action.required:
                value = str(self.path_value(action, tmp)) if action.type is Path else "x"
            if value is not None:
                argv += [action.option_strings[0], value] if action.option_strings else [value]
        return argv

    @staticmethod
    def is_output(action: argparse.Action) -> bool:
        # every path option names what the command writes, but a contract it reads (replay file --contract)
        return bool(action.option_strings) and action.metavar not in CONTRACTS

    @staticmethod
    def is_directory(action: argparse.Action) -> bool:
        return action.metavar == "DIR"

    @staticmethod
    def path_value(action: argparse.Action, tmp: Path) -> Path:
        if action.metavar in CONTRACTS:
            return contract_file(tmp)
        if not action.option_strings:
            return sales_file(tmp)
        return tmp / ("out-dir" if action.metavar == "DIR" else "out-file.txt")


CONTRACTS = ("CONTRACT", "OLD", "NEW")  # the contract commands' files: an ODCS contract, not a sales file
DEFAULT_CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "sales.odcs.yaml"


def contract_file(tmp: Path) -> Path:
    """The default contract, copied: a file every contract command takes."""
    path = tmp / "ok.odcs.yaml"
    if not path.exists():
        path.write_text(DEFAULT_CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def sales_file(tmp: Path) -> Path:
    """A JSON Lines file that is a sales file (one record a line) and a redrive file (an id and a record)."""
    path = tmp / "ok.jsonl"
    if not path.exists():
        path.write_text('{"id": "' + "a" * 64 + ':0", "record": {"order-info": {}}}\n', encoding="utf-8")
    return path


def commands() -> list[Command]:
    """Every command with a function to run, from the parser salesdq builds, each once: an old name of a
    renamed command (salesdq/cli/old_names.py) is the same parser, covered under its new name."""
    found: list[Command] = []

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        if parser.get_default("run") is not None and parser.get_default("now_named") is None:
            found.append(Command(words, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, (*words, name))

    walk(cli.parser(), ())
    return found


def groups() -> list[tuple[str, ...]]:
    """The words that name a group of commands but no command (`salesdq quarantine`): a usage error alone."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                if action.required:
                    found.append(words)
                for name, child in action.choices.items():
                    walk(child, (*words, name))

    walk(cli.parser(), ())
    return found


def malformed_key(action: argparse.Action) -> str | None:
    """The MALFORMED key of an option, if it parses its value; None for free text and flags."""
    if not action.option_strings or action.nargs == 0:
        return None
    for key in (action.metavar, action.option_strings[0]):
        if key in MALFORMED:
            return str(key)
    if action.type is int:
        return "N"
    return None
