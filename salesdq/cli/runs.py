"""`salesdq runs [--status S]` and `salesdq runs retry RUN [--wait]`: file runs, and a failed one finished."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, ON_THE_STACK, PROGRESS, STACK, Commands, stack_ref
from salesdq.operators import runs
from salesdq.operators.follow import result_of, totals, wait_for


def run_runs(args: argparse.Namespace) -> int:
    found = runs.file_runs(stack_ref(args), args.status)
    if args.json:
        output.print_json([run.as_dict() for run in found])
    else:
        output.print_runs(found, args.status)
    return EXIT_OK


def run_retry(args: argparse.Namespace) -> int:
    stack = stack_ref(args)
    run = runs.find_run(runs.file_runs(stack), args.target)
    arn = runs.retry_run(stack, run)
    if not args.wait:
        output.print_json({"execution": arn}) if args.json else print(f"retrying: {arn}")
        return EXIT_OK
    with output.progress_display(args.progress) as progress:
        result = result_of(run.run.file, wait_for(stack.executions(), arn, progress))
    summary = {"files": [asdict(result)], "totals": totals([result]), "usage": None, "elapsed_s": None}
    output.print_json(summary) if args.json else output.print_summary(summary)
    return EXIT_OK if result.status == "completed" else EXIT_FAILED


def add_to(commands: Commands) -> None:
    command = commands.add_parser("runs", parents=[STACK, JSON], help="file runs: status, counts and reason")
    command.add_argument("--status", choices=runs.STATUSES, help="only runs with this status")
    command.set_defaults(run=run_runs)
    actions = command.add_subparsers(dest="runs_command")
    retry = actions.add_parser("retry", parents=[STACK, JSON, PROGRESS], help="finish a failed run where it stopped")
    # dest is not `run`: that attribute holds the command's function (set_defaults below)
    retry.add_argument("target", metavar="RUN", help="the run's file id (8+ characters), file key or execution")
    retry.add_argument("--wait", action="store_true", help="wait for the run and print its outcome")
    retry.set_defaults(run=run_retry, interrupted=f"a retry that started {ON_THE_STACK}")
