"""`salesdq redrive FILE`: corrected records (an edited `quarantine export`) back through the workflow."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, ON_THE_STACK, PROGRESS, STACK, Commands, check_input_file, stack_ref
from salesdq.operators import redrive
from salesdq.operators.follow import totals


def run_redrive(args: argparse.Namespace) -> int:
    check_input_file(args.file)
    corrections = redrive.read_corrections(args.file)  # before the stack: a bad file is a usage error
    stack = stack_ref(args)
    sent = redrive.send_corrections(stack, corrections)
    outcome: dict[str, Any] = {k: sent[k] for k in ("redriven", "refused", "already", "executions", "contract")}
    failed = bool(sent["refused"])
    if args.wait and sent["executions"]:
        with output.progress_display(args.progress) as progress:
            batches = redrive.wait_for_batches(stack, sent, progress)
        outcome["results"] = [asdict(b) for b in batches]
        outcome["totals"] = totals(batches)
        failed = failed or any(b.status in ("rejected", "failed") for b in batches)
    output.print_json(outcome) if args.json else output.print_redrive(outcome)
    return EXIT_FAILED if failed else EXIT_OK


def add_to(commands: Commands) -> None:
    command = commands.add_parser(
        "redrive",
        parents=[STACK, JSON, PROGRESS],
        help="send corrected records (an edited export) back through the workflow",
    )
    command.add_argument("file", type=Path, metavar="FILE")
    command.add_argument("--wait", action="store_true", help="wait for the reprocessing and print its outcome")
    command.set_defaults(
        run=run_redrive,
        interrupted=f"a batch of corrections sent before it {ON_THE_STACK}, `salesdq quarantine list` what is open",
    )
