"""`salesdq report`: totals over the whole audit history."""

from __future__ import annotations

import argparse

from salesdq.cli import output
from salesdq.cli.exits import EXIT_OK
from salesdq.cli.options import JSON, STACK, Commands, stack_ref
from salesdq.operators.report import audit_totals


def run_report(args: argparse.Namespace) -> int:
    report = audit_totals(stack_ref(args))
    output.print_json(report) if args.json else output.print_report(report)
    return EXIT_OK


def add_to(commands: Commands) -> None:
    command = commands.add_parser("report", parents=[STACK, JSON], help="totals over the whole audit history")
    command.set_defaults(run=run_report)
