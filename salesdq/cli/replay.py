"""`salesdq replay verify | rebuild | repair`: the audit log as the source of truth (salesdq/operators/replay.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, STACK, Commands, stack_ref
from salesdq.errors import UsageError
from salesdq.operators import replay


def run_verify(args: argparse.Namespace) -> int:
    found = replay.verify(stack_ref(args))
    output.print_json(found.as_dict()) if args.json else output.print_verification(found.as_dict())
    return EXIT_FAILED if found.drift else EXIT_OK


def run_rebuild(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    written = replay.rebuild(stack_ref(args), out)
    if args.json:
        output.print_json({"out": str(out), **written})
    else:
        print(
            f"rebuilt from the audit log into {out}: {written['orders']:,} orders, "
            f"{written['quarantine']:,} quarantined, {written['files']:,} file runs"
        )
    return EXIT_OK


def run_repair(args: argparse.Namespace) -> int:
    done = replay.repair(stack_ref(args), apply=args.yes)
    output.print_json(done.as_dict()) if args.json else output.print_repair(done.as_dict())
    return EXIT_OK


def add_to(commands: Commands) -> None:
    command = commands.add_parser("replay", help="the audit log as the source of truth: verify, rebuild, repair")
    actions = command.add_subparsers(dest="replay_command", required=True)
    verify = actions.add_parser(
        "verify", parents=[STACK, JSON], help="compare the orders and the quarantine with the audit log (exit 1: drift)"
    )
    verify.set_defaults(run=run_verify)
    rebuild = actions.add_parser(
        "rebuild", parents=[STACK, JSON], help="write the projections folded from the audit log alone"
    )
    rebuild.add_argument("--out", required=True, metavar="DIR", help="orders.jsonl, quarantine.jsonl, files.jsonl")
    rebuild.set_defaults(run=run_rebuild)
    repair = actions.add_parser(
        "repair", parents=[STACK, JSON], help="restore missing and changed orders from the audit log"
    )
    repair.add_argument("--yes", action="store_true", help="write the restores (without it: print the plan)")
    repair.set_defaults(run=run_repair)
