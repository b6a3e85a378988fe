"""Options more than one command takes, declared once each as a parent parser, and what they resolve to."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from salesdq import resources
from salesdq.errors import UsageError
from salesdq.locate import StackRef, locate

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what add_subparsers returns


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


JSON = _parent()
JSON.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")

STACK = _parent()
STACK.add_argument("--stack", metavar="NAME", help="a deployed stack (default: AWS_ENDPOINT_URL, else 'salesdq')")
STACK.add_argument("--region", help="AWS region (default: the standard AWS configuration)")

PROGRESS = _parent()
PROGRESS.add_argument(
    "--progress",
    choices=("auto", "always", "never"),
    default="auto",
    help="progress bar on stderr (auto: when stderr is a terminal)",
)

FAULTS = _parent()
FAULTS.add_argument(
    "--faults",
    metavar="SPEC",
    help="inject AWS faults into the workflow: comma-separated NAME=RATE, RATE from 0 to 1 "
    "(e.g. ddb-throttle=0.1,lambda-crash=0.05; docs/architecture.md lists every fault)",
)
FAULTS.add_argument("--fault-seed", type=int, default=0, metavar="N", help="seed of the fault draws (default 0)")


def stack_ref(args: argparse.Namespace) -> StackRef:
    """The stack --stack and --region name (or AWS_ENDPOINT_URL's)."""
    return locate(args.stack, args.region)


def check_sales_files(paths: Sequence[Path]) -> None:
    """Every path is a file the workflow starts on; UsageError naming the first that is not."""
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        if path.suffix not in resources.INCOMING_SUFFIXES:
            raise UsageError(f"{path}: only {' and '.join(resources.INCOMING_SUFFIXES)} files start the workflow")
