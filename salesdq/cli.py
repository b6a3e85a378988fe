"""The salesdq command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from salesdq import __version__, resources
from salesdq.local_run import Progress, local_run, render_table

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salesdq", description="Data quality for sales files on AWS.")
    parser.add_argument("--version", action="version", version=f"salesdq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run salesdq on the embedded AWS engine (no account needed)")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    run = local_commands.add_parser("run", help="process files end to end and print a summary")
    run.add_argument("files", nargs="+", type=Path, metavar="FILE", help="sales files (.json or .jsonl)")
    run.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    run.add_argument("--out", type=Path, metavar="DIR", help="write orders, quarantine, audit and summary here")
    run.add_argument(
        "--chunk-records",
        type=int,
        default=resources.CHUNK_RECORDS,
        metavar="N",
        help=f"records per chunk (default {resources.CHUNK_RECORDS})",
    )
    run.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress line on stderr (auto: when stderr is a terminal)",
    )
    return parser


def _local_run(args: argparse.Namespace) -> int:
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        if path.suffix not in resources.INCOMING_SUFFIXES:
            raise UsageError(f"{path}: only {' and '.join(resources.INCOMING_SUFFIXES)} files start the workflow")
    if args.chunk_records < 1:
        raise UsageError("--chunk-records must be at least 1")
    enabled = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    summary = local_run(args.files, out=args.out, progress=Progress(enabled), chunk_records=args.chunk_records)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(render_table(summary))
    failed = summary["totals"]["rejected"] + summary["totals"]["failed"]
    return EXIT_REJECTED if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "local" and args.local_command == "run":
            return _local_run(args)
    except UsageError as error:
        print(f"salesdq: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    parser.error("unknown command")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
