"""Old names of renamed commands (docs/architecture.md#words-we-are-retiring): each keeps working for now, its
help says it is the old name, and running it says the new one in one line on stderr before it runs."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator

Run = Callable[[argparse.Namespace], int]


def _leaves(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command under parser (itself, when it runs one), with the words that name it below parser."""
    if parser.get_default("run") is not None:
        yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _leaves(child, (*words, name))


def _say_the_new_name(old: str, new: str, command: str, run: Run, args: argparse.Namespace) -> int:
    print(f'salesdq: "{old}" is now "{new}": {command}', file=sys.stderr)
    return run(args)


def help_of(new: str) -> str:
    """The help of an old name, in its group's listing and atop its own --help."""
    return f'the old name of "{new}" (works for now, and says the new command)'


def rename(parser: argparse.ArgumentParser, old: str, new: str) -> None:
    """Make every command under parser (named `old`, e.g. "dlq") say, when run, its name under `new`.

    Each command keeps its `now_named` default: the new command, which the command-line tests read to cover a
    command once, under its new name."""
    parser.description = help_of(new)
    for words, leaf in _leaves(parser):
        command = " ".join(("salesdq", new, *words))
        run = leaf.get_default("run")
        leaf.set_defaults(run=functools.partial(_say_the_new_name, old, new, command, run), now_named=command)
