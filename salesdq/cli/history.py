"""`salesdq history ORDER_ID`: every audit event of one order, oldest first."""

from __future__ import annotations

import argparse
import sys

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, STACK, Commands, stack_ref
from salesdq.operators.history import order_history


def run_history(args: argparse.Namespace) -> int:
    events = order_history(stack_ref(args), args.order_id)
    if args.json:
        output.print_json(events)
    elif events:
        output.print_history(events)
    else:
        print(f"no audit events for order {output.shown(args.order_id)}", file=sys.stderr)
    return EXIT_OK if events else EXIT_FAILED


def add_to(commands: Commands) -> None:
    command = commands.add_parser("history", parents=[STACK, JSON], help="every audit event of one order, oldest first")
    command.add_argument("order_id", metavar="ORDER_ID")
    command.set_defaults(run=run_history)
