"""`salesdq replay file NAME|FILE_ID [--dry-run]`: a file's retained bytes run again under the current contract."""

from __future__ import annotations

import argparse

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, PROGRESS, STACK, Commands, stack_ref
from salesdq.operators import replay_file


def run_file(args: argparse.Namespace) -> int:
    stack = stack_ref(args)
    if args.dry_run:
        found = replay_file.dry_run(stack, args.file)
        output.print_json(found) if args.json else output.print_what_if(found)
        return EXIT_OK
    with output.progress_display(args.progress) as progress:
        result = replay_file.replay(stack, args.file, progress)
    output.print_json(result) if args.json else output.print_replay(result)
    return EXIT_OK if result["status"] == "completed" else EXIT_FAILED


def _add_file(sub: Commands) -> None:
    command = sub.add_parser(
        "file",
        parents=[STACK, JSON, PROGRESS],
        help="run a file's retained bytes again under the current contract (its latest run replayed)",
    )
    command.add_argument(
        "file", metavar="NAME|FILE_ID", help="a file name or key, or its file id (8+ characters; `salesdq runs`)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="say what would change, record by record, and write nothing"
    )
    command.set_defaults(run=run_file)


def add_to(commands: Commands) -> None:
    replay = commands.add_parser("replay", help="run what the audit log or the retained files hold again")
    sub = replay.add_subparsers(dest="replay_command", required=True)
    _add_file(sub)
