"""`salesdq replay file`: a file's retained bytes run again under the active contract, or as a dry run under a
proposed one (salesdq/operators/replay_file.py). `replay verify|rebuild|repair` are the old names of `salesdq audit
...` (salesdq/cli/audit.py): they work for now and say the new command."""

from __future__ import annotations

import argparse
from pathlib import Path

from salesdq.cli import audit, output
from salesdq.cli.contract import contract_file
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, ON_THE_STACK, PROGRESS, STACK, Commands, check_input_file, stack_ref
from salesdq.errors import UsageError
from salesdq.operators import replay_file


def run_file(args: argparse.Namespace) -> int:
    proposal = None
    if args.contract is not None:
        check_input_file(args.contract)
        if not args.dry_run:
            raise UsageError("--contract judges under a proposed contract, which only --dry-run does: publish it first")
        proposed = contract_file(args, args.contract)
        if isinstance(proposed, int):
            return proposed
        proposal = proposed
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
        "replay", help='replay a past file (verify, rebuild, repair: old names of "audit ...")'
    )
    actions = command.add_subparsers(dest="replay_command", required=True)
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
    audit.add_commands(actions, old_group="replay")
