"""`salesdq report`: data-quality scores, failures by rule and field, the trend by day and alerts, from the
audit history; on the terminal, as JSON, as CSV files or as one HTML page (docs/reports.md)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from pathlib import Path

from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import STACK, Commands, check_output, stack_ref
from salesdq.errors import UsageError
from salesdq.operators.report import ReportRequest, build_report
from salesdq.reports import render_terminal, write_csv, write_html
from salesdq.reports.compute import percent, under_fail_under
from salesdq.reports.model import Settings

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FRACTION = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(%?)$")


def day_of(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        if not DAY.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a day: write it YYYY-MM-DD, e.g. 2024-03-01") from None


def fraction_of(option: str, text: str | None) -> float | None:
    """A score or margin: a fraction from 0 to 1 (0.9) or a percentage (90%)."""
    if text is None:
        return None
    match = FRACTION.match(text.strip())
    value = float(match.group(1)) / (100 if match.group(2) else 1) if match else -1.0
    if not 0 <= value <= 1:
        raise UsageError(f"{option}: {text!r} is not a score: give a fraction from 0 to 1 (0.9) or a percentage (90%)")
    return value


def request_of(args: argparse.Namespace) -> ReportRequest:
    if args.file is not None and not args.file.strip():
        raise UsageError("--file: give a file's key, name or file id (8+ characters of it)")
    if args.baseline < 1:
        raise UsageError("--baseline must be at least 1")
    margin = fraction_of("--margin", args.margin)
    settings = Settings(
        baseline_window=args.baseline,
        margin=Settings.margin if margin is None else margin,
        fail_under=fraction_of("--fail-under", args.fail_under),
    )
    return ReportRequest(
        since=day_of("--since", args.since), until=day_of("--until", args.until), file=args.file, settings=settings
    ).check()


def run_report(args: argparse.Namespace) -> int:
    request = request_of(args)  # before the stack: a bad option is a usage error wherever the stack is
    if args.csv is not None:
        check_output("--csv", args.csv, directory=True)
    if args.html is not None:
        check_output("--html", args.html, directory=False)
    report = build_report(stack_ref(args), request)
    if args.json:
        print(report.to_json())
    elif args.csv is not None:
        paths = write_csv(report, args.csv)
        print(f"wrote {', '.join(str(p) for p in paths)}" + (" (an empty report)" if report.empty else ""))
    elif args.html is not None:
        path = write_html(report, args.html)
        print(f"wrote {path}" + (" (an empty report)" if report.empty else ""))
    else:
        render_terminal(report)
    under = under_fail_under(report)
    if under:
        assert report.settings.fail_under is not None
        names = ", ".join(f"{f.file} ({percent(f.quality_score or 0.0)})" for f in under)
        print(
            f"salesdq: {len(under)} of {len(report.files)} files scored under {percent(report.settings.fail_under)}: "
            + names,
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def add_to(commands: Commands) -> None:
    command = commands.add_parser(
        "report",
        parents=[STACK],
        help="data-quality report: scores, failures by rule and field, trend by day, alerts",
        description="A data-quality report from the audit history: one row a file run, failures by rule and by "
        "field (with example quarantine ids: `salesdq quarantine export --rule RULE` finds the records), the score by "
        "day, and alerts for a file or day scoring below the average of the previous ones. Days are UTC.",
    )
    command.add_argument("--since", metavar="DAY", help="the first day (YYYY-MM-DD); default: the whole history")
    command.add_argument("--until", metavar="DAY", help="the last day (YYYY-MM-DD, inclusive); default: today")
    command.add_argument(
        "--file",
        metavar="NAME|FILE_ID",
        help="one file: its key as uploaded, its name, or its file id (8+ characters of it are enough)",
    )
    out = command.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout (the report)")
    out.add_argument("--csv", type=Path, metavar="DIR", help="write files.csv, failures.csv and days.csv into DIR")
    out.add_argument("--html", type=Path, metavar="FILE", help="write one self-contained HTML page")
    command.add_argument(
        "--fail-under",
        metavar="SCORE",
        help="exit 1 when a file of the window scores under SCORE (a fraction, 0.9, or a percentage, 90%%)",
    )
    command.add_argument(
        "--baseline",
        type=int,
        default=Settings.baseline_window,
        metavar="N",
        help=f"alert against the mean of the previous N files or days (default {Settings.baseline_window})",
    )
    command.add_argument(
        "--margin",
        metavar="SCORE",
        help=f"alert when more than this below the baseline (default {Settings.margin}, i.e. 5 points)",
    )
    command.set_defaults(run=run_report, interrupted="nothing was changed; a --csv or --html file may be partial")
