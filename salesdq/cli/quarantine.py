"""`salesdq quarantine ...`: quarantined items. `list`, `export` and `resolve` read (and resolve) the quarantine
view, not a queue; `sweep` deletes the quarantine queue's messages the view no longer holds open
(docs/architecture.md#glossary). Its old name `dlq` still works (salesdq/cli/old_names.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from salesdq.cli import old_names, output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, STACK, Commands, check_output, stack_ref
from salesdq.errors import UsageError
from salesdq.operators import quarantine


def run_sweep(args: argparse.Namespace) -> int:
    counts = quarantine.sweep(stack_ref(args))
    output.print_json(counts) if args.json else print(
        f"swept the quarantine queue: {counts['deleted']} deleted, {counts['kept']} kept (one per open item)"
    )
    return EXIT_OK


def run_resolve(args: argparse.Namespace) -> int:
    result = quarantine.resolve_files(stack_ref(args), args.ids, args.note, datetime.now(UTC).isoformat())
    if args.json:
        output.print_json(result)
    else:
        for done in result["resolved"]:
            print(f"resolved {done['id']} ({done['file']})")
        for refusal in result["refused"]:
            print(f"refused {refusal['id']}: {refusal['error']}: {refusal['message']}")
    return EXIT_FAILED if result["refused"] else EXIT_OK


def _filters(args: argparse.Namespace) -> quarantine.Filters:
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    return quarantine.Filters(file=args.file, rule=args.rule, field=args.field, limit=args.limit)


def _named(args: argparse.Namespace) -> str:
    """The filters given, as typed: what an empty list names."""
    given = (("--file", args.file), ("--rule", args.rule), ("--field", args.field))
    return " ".join(f"{option} {value}" for option, value in given if value is not None)


def run_list(args: argparse.Namespace) -> int:
    bodies = quarantine.quarantined_items(stack_ref(args), _filters(args))
    output.print_json(list(bodies)) if args.json else output.print_quarantine(bodies, filters=_named(args))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    filters = _filters(args)
    if args.out is not None:
        check_output("--out", args.out, directory=False)
    lines = quarantine.export_lines(stack_ref(args), filters)
    if args.out is None:
        output.print_jsonl(lines)
        return EXIT_OK
    args.out.parent.mkdir(parents=True, exist_ok=True)  # as report --html and every --out DIR do
    with args.out.open("w", encoding="utf-8") as handle:
        count = output.print_jsonl(lines, handle)
    print(f"exported {count} quarantined items to {args.out}", file=sys.stderr)
    return EXIT_OK


FILTERS = argparse.ArgumentParser(add_help=False)
FILTERS.add_argument(
    "--file",
    metavar="NAME|FILE_ID",
    help="only what this file quarantined (its name, key, or file id: 8+ characters of it are enough)",
)
FILTERS.add_argument("--rule", metavar="RULE", help="only records that broke this rule (e.g. email)")
FILTERS.add_argument("--field", metavar="FIELD", help="only records failing this field (e.g. contact-info.email)")
FILTERS.add_argument("--limit", type=int, metavar="N", help="at most N items")


def _add_commands(group: argparse.ArgumentParser) -> None:
    actions = group.add_subparsers(dest="quarantine_command", required=True)
    listing = actions.add_parser("list", parents=[STACK, JSON, FILTERS], help="quarantined items as a table")
    listing.set_defaults(run=run_list)
    export = actions.add_parser(
        "export", parents=[STACK, FILTERS], help="quarantined items as JSON Lines, not consumed"
    )
    export.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    export.set_defaults(run=run_export, interrupted="nothing was changed; an --out file holds part of the export")
    swept = actions.add_parser(
        "sweep", parents=[STACK, JSON], help="delete the messages of resolved items (one message per open item stays)"
    )
    swept.set_defaults(run=run_sweep, interrupted="a sweep that started goes on in its function on the stack")
    resolve = actions.add_parser(
        "resolve", parents=[STACK, JSON], help="close rejected files' items (after uploading the fixed file)"
    )
    resolve.add_argument("ids", nargs="+", metavar="ID", help="quarantine ids of rejected files (file:...)")
    resolve.add_argument("--note", default="dealt with by an operator", help="why, kept in the file's history")
    resolve.set_defaults(
        run=run_resolve,
        interrupted="items resolved before it stay resolved: `salesdq quarantine list` shows what is open",
    )


def add_to(commands: Commands) -> None:
    _add_commands(
        commands.add_parser("quarantine", help="quarantined items: the quarantine view, and its queue's sweep")
    )
    old = commands.add_parser("dlq", help=old_names.help_of("quarantine"))
    _add_commands(old)
    old_names.rename(old, "dlq", "quarantine")
