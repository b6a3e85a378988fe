"""`salesdq replay verify | rebuild | repair | file`: the audit log as the source of truth
(salesdq/operators/replay.py), and a file's retained bytes run again under the active contract, or as a dry
run under a proposed one (salesdq/operators/replay_file.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from salesdq.cli import output
from salesdq.cli.contract import refused
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import (
    JSON,
    ON_THE_STACK,
    PROGRESS,
    STACK,
    Commands,
    check_input_file,
    check_output,
    stack_ref,
)
from salesdq.errors import UsageError
from salesdq.operators import replay, replay_file
from salesdq.operators.contract import read
from services.contract import ContractError


def run_verify(args: argparse.Namespace) -> int:
    found = replay.verify(stack_ref(args))
    output.print_json(found.as_dict()) if args.json else output.print_verification(found.as_dict())
    return EXIT_FAILED if found.drift else EXIT_OK


def run_rebuild(args: argparse.Namespace) -> int:
    out = args.out
    check_output("--out", out, directory=True)
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


def run_file(args: argparse.Namespace) -> int:
    proposal = None
    if args.contract is not None:
        check_input_file(args.contract)
        if not args.dry_run:
            raise UsageError("--contract judges under a proposed contract, which only --dry-run does: publish it first")
        try:
            proposal = read(args.contract)
        except ContractError as error:
            return refused(args, args.contract, error)
    stack = stack_ref(args)
    if args.dry_run:
        found = replay_file.dry_run(stack, args.file, proposal)
        output.print_json(found) if args.json else output.print_what_if(found)
        return EXIT_OK
    with output.progress_display(args.progress) as progress:
        result = replay_file.replay(stack, args.file, progress)
    output.print_json(result) if args.json else output.print_replay(result)
    return EXIT_OK if result["status"] == "completed" else EXIT_FAILED


def add_to(commands: Commands) -> None:
    command = commands.add_parser(
        "replay", help="the audit log as the source of truth: verify, rebuild, repair; replay a past file"
    )
    actions = command.add_subparsers(dest="replay_command", required=True)
    verify = actions.add_parser(
        "verify", parents=[STACK, JSON], help="compare the orders and the quarantine with the audit log (exit 1: drift)"
    )
    verify.set_defaults(run=run_verify)
    rebuild = actions.add_parser(
        "rebuild", parents=[STACK, JSON], help="write the projections folded from the audit log alone"
    )
    rebuild.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="orders.jsonl, quarantine.jsonl, files.jsonl"
    )
    rebuild.set_defaults(run=run_rebuild, interrupted="nothing was changed; what --out holds is partial")
    repair = actions.add_parser(
        "repair", parents=[STACK, JSON], help="restore missing and changed orders from the audit log"
    )
    repair.add_argument("--yes", action="store_true", help="write the restores (without it: print the plan)")
    repair.set_defaults(
        run=run_repair,
        interrupted="orders restored before it stay restored: `salesdq replay verify` shows what is left",
    )
    file = actions.add_parser(
        "file",
        parents=[STACK, JSON, PROGRESS],
        help="run a file's retained bytes again under the active contract (its latest run replayed)",
    )
    file.add_argument(
        "file", metavar="NAME|FILE_ID", help="a file name or key, or its file id (8+ characters; `salesdq runs`)"
    )
    file.add_argument("--dry-run", action="store_true", help="say what would change, record by record; write nothing")
    file.add_argument(
        "--contract",
        type=Path,
        metavar="CONTRACT",
        help="with --dry-run: judge under this proposed contract (ODCS) instead of the active one",
    )
    file.set_defaults(run=run_file, interrupted=f"a replay that started {ON_THE_STACK}")
