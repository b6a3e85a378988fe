"""`salesdq upload`: files to the inbox, and with --wait the summary of their runs."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, ON_THE_STACK, PROGRESS, STACK, Commands, check_sales_files, stack_ref
from salesdq.operators.follow import totals, upload, upload_and_follow_each


def run_upload(args: argparse.Namespace) -> int:
    check_sales_files(args.files)
    stack = stack_ref(args)
    if not args.wait:
        keys = [upload(stack, path).key for path in args.files]
        if args.json:
            output.print_json({"uploaded": keys})
        else:
            print("\n".join(f"uploaded s3://{stack.bucket}/{key}" for key in keys))
        return EXIT_OK
    with output.progress_display(args.progress) as progress:
        results = upload_and_follow_each(stack, args.files, progress)
    counts = totals(results)
    summary: dict[str, Any] = {
        "files": [asdict(r) for r in results],
        "totals": counts,
        "usage": None,
        "elapsed_s": None,
    }
    output.print_json(summary) if args.json else output.print_summary(summary)
    return EXIT_FAILED if counts["rejected"] + counts["failed"] else EXIT_OK


def add_to(commands: Commands) -> None:
    upload_ = commands.add_parser("upload", parents=[STACK, JSON, PROGRESS], help="upload files to the inbox")
    upload_.add_argument("files", nargs="+", type=Path, metavar="FILE")
    upload_.add_argument("--wait", action="store_true", help="wait for the workflow and print the summary")
    upload_.set_defaults(run=run_upload, interrupted=f"each file uploaded before it {ON_THE_STACK}")
