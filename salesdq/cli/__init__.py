"""The salesdq command line: `main` assembles the parser from one module per command group.

A new command gets a module here with `add_to(commands)` and `run_<command>(args) -> int`, and one line in
GROUPS; what it does goes in salesdq/operators, what it prints in output.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from salesdq import __version__
from salesdq.cli import audit, contract, exits, history, local, quarantine, redrive, replay, report, runs, upload
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from salesdq.cli.options import INTERRUPTED

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main", "parser"]

# in the order `salesdq --help` lists them
GROUPS = (local, upload, runs, quarantine, redrive, history, audit, replay, report, contract)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="salesdq", description="Data quality for sales files on AWS.")
    root.add_argument("--version", action="version", version=f"salesdq {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_to(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a reader that left is told here, not by the interpreter's flush at exit
        return status
    except BrokenPipeError:  # `salesdq ... | head`: the reader left; say nothing more (before OSError's report)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except exits.REPORTED as error:
        return exits.report(error)
    except KeyboardInterrupt:  # Ctrl-C: what becomes of the work, as the command set it (options.INTERRUPTED)
        return exits.interrupted(getattr(args, "interrupted", INTERRUPTED))


if __name__ == "__main__":
    sys.exit(main())
