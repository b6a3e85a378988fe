"""`salesdq contract check CONTRACT`, `contract diff OLD NEW` and `contract try CONTRACT`: an ODCS contract file,
what salesdq would enforce of it, how two differ (these two read files only), and what a proposed one would have
decided of the files already received (it reads the stack, and writes nothing) (docs/contracts.md).
`contract publish CONTRACT`, `contract show [VERSION]` and `contract history`: the active contract, which the next
runs judge by (salesdq/operators/publish.py, docs/contracts.md#publishing)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from salesdq.cli.options import JSON, STACK, Commands, check_input_file, check_output, stack_ref
from salesdq.cli.report import day_of, fraction_of
from salesdq.errors import UsageError
from salesdq.operators import publish as publishing
from salesdq.operators.contract import BREAKING, describe, diff, read
from salesdq.operators.contract_try import NotJudged, Tally, Window, file_entry, judge
from salesdq.operators.report import ReportRequest
from salesdq.reports.compute import percent
from salesdq.reports.try_page import write_try_html
from services.contract import CompiledContract, ContractError, UnsupportedConstructError


def refusal(path: Path, error: ContractError) -> dict[str, object]:
    found: dict[str, object] = {"file": str(path), "valid": False}
    if isinstance(error, UnsupportedConstructError):
        return found | {"refused": "unsupported", "path": error.path, "reason": error.sentence}
    return found | {"refused": "not_odcs", "reason": str(error)}


def _refused(args: argparse.Namespace, path: Path, error: ContractError) -> int:
    if args.json:
        output.print_json(refusal(path, error))
    else:
        print(f"salesdq: {path} refused: {error}", file=sys.stderr)
    return EXIT_USAGE


def contract_file(args: argparse.Namespace, path: Path) -> CompiledContract | int:
    """A contract file named on the command line, read and compiled; or, when salesdq refuses it, the refusal
    said as `contract check` says it (`--json` or a line on stderr) and its exit status."""
    check_input_file(path)
    try:
        return read(path)
    except ContractError as error:
        return _refused(args, path, error)


def run_check(args: argparse.Namespace) -> int:
    contract = contract_file(args, args.file)
    if isinstance(contract, int):
        return contract
    found = describe(contract)
    if args.json:
        output.print_json(found)
    else:
        output.print_contract(found)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    compiled = []
    for path in (args.old, args.new):
        check_input_file(path)  # both files there before either is read
    for path in (args.old, args.new):
        contract = contract_file(args, path)
        if isinstance(contract, int):
            return contract
        compiled.append(contract)
    changes = diff(*compiled)
    if args.json:
        output.print_json(
            {
                "old": {"file": str(args.old), "contract": compiled[0].version},
                "new": {"file": str(args.new), "contract": compiled[1].version},
                "breaking": any(c.kind == BREAKING for c in changes),
                "changes": [c.as_dict() for c in changes],
            }
        )
    else:
        output.print_contract_diff([c.as_dict() for c in changes])
    return EXIT_FAILED if any(c.kind == BREAKING for c in changes) else EXIT_OK


def run_try(args: argparse.Namespace) -> int:
    fail_under = fraction_of("--fail-under", args.fail_under)
    if args.file is not None and not args.file.strip():
        raise UsageError("--file: give a file's key, name or file id (8+ characters of it)")
    # the report's window, checked as the report checks it (a day, --since not after --until nor today)
    request = ReportRequest(since=day_of("--since", args.since), until=day_of("--until", args.until)).check()
    window = Window(since=request.since, until=request.until, file=args.file)
    if args.html is not None:
        check_output("--html", args.html, directory=False)
    check_input_file(args.contract)
    stack = stack_ref(args)  # a setting that names no stack is a usage error before any reading
    proposal = contract_file(args, args.contract)
    if isinstance(proposal, int):
        return proposal
    total, not_judged, files = Tally(), [], []

    def entries() -> Iterator[dict[str, Any]]:
        for found in judge(stack, proposal, window):
            if isinstance(found, NotJudged):
                not_judged.append(found.as_dict())
                if not args.json and args.html is None:
                    output.print_not_judged(found.as_dict())
                continue
            total.add(found)
            entry = file_entry(found)
            files.append({k: v for k, v in entry.items() if k != "changes"})
            yield entry

    head = {"contract": proposal.version, "dry_run": True, "window": window.as_dict()}
    if args.json:
        output.print_json_streaming(
            head, "files", entries(), lambda: {"not_judged": not_judged, "total": _total(total)}
        )
    elif args.html is not None:
        for _ in entries():
            pass
        found = head | {"files": files, "not_judged": not_judged, "total": _total(total)}
        print(f"wrote {write_try_html(found, args.html, fail_under)}")
    else:
        output.print_contract_try_head(head)
        for entry in entries():
            output.print_contract_try_file(entry)
        output.print_contract_try_total(_total(total))
    score = total.as_dict()["score_now"]
    if fail_under is not None and score is not None and score < fail_under:
        print(
            f"salesdq: the {total.files} files tried would score {percent(score)} under the proposal, "
            f"under {percent(fail_under)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _total(total: Tally) -> dict[str, Any]:
    return {"files": total.files} | total.as_dict()


def run_publish(args: argparse.Namespace) -> int:
    contract = contract_file(args, args.file)  # refused as `check` refuses it, before any stack is reached
    if isinstance(contract, int):
        return contract
    stack = stack_ref(args)
    proposal = publishing.propose(stack, contract, args.file.read_text(encoding="utf-8"))
    if proposal.already_active:
        found = proposal.as_dict()
        output.print_json(found) if args.json else print(f"{contract.version} is the active contract already")
        return EXIT_OK
    if not args.json:
        print(f"publish {contract.version}, replacing the active {proposal.active.version}:")
        output.print_contract_diff(proposal.changes)
    if not args.yes and (why := _unconfirmed(contract.version)) is not None:
        if args.json:
            output.print_json(proposal.as_dict() | {"status": "refused", "reason": why})
        else:
            print(f"salesdq: {why}", file=sys.stderr)
        return EXIT_USAGE
    found = publishing.publish(stack, proposal, publishing.who(stack))
    if args.json:
        output.print_json(found)
    else:
        print(
            f"published: {found['contract']} is the active contract for the runs that start from now ({found['key']})"
        )
    return EXIT_OK


def _unconfirmed(version: str) -> str | None:
    """Asked on a terminal; with none to ask on, refused: publishing changes what every next run judges by.
    Why it is not published, or None when confirmed."""
    if not sys.stdin.isatty():
        return "publishing needs a confirmation and there is no terminal to ask on: pass --yes"
    answer = input(f"make {version} the active contract? [y/N] ").strip().lower()
    return None if answer in ("y", "yes") else "not published: not confirmed"


def run_show(args: argparse.Namespace) -> int:
    found = publishing.show(stack_ref(args), args.version)
    if args.json:
        output.print_json(found)
        return EXIT_OK
    when = f"published {found['published_at']} by {found['by']}" if found["published_at"] else found["by"]
    print(f"{'active' if found['active'] else 'not active'}: {when}")
    output.print_contract(found)
    print("---")
    print(found["document"], end="" if found["document"].endswith("\n") else "\n")
    return EXIT_OK


def run_history(args: argparse.Namespace) -> int:
    entries = publishing.history(stack_ref(args))
    if args.json:
        output.print_json({"contracts": entries})
        return EXIT_OK
    rows = (
        (
            e["published_at"] or "(deploy)",
            e["contract"],
            e["by"],
            "" if e["published_at"] is None else f"{e['changes']}{' (breaking)' if e['breaking'] else ''}",
            "active" if e["active"] else "",
        )
        for e in entries
    )
    output.print_table(("since", "contract", "by", "changes", ""), rows)
    return EXIT_OK


def add_to(commands: Commands) -> None:
    group = commands.add_parser(
        "contract", help="ODCS record contracts: check one, diff two, try one on the files received"
    ).add_subparsers(dest="contract_command", required=True)
    check = group.add_parser(
        "check",
        parents=[JSON],
        help="whether salesdq can enforce an ODCS contract file, and what it enforces (exit 2: refused)",
    )
    check.add_argument("file", metavar="CONTRACT", type=Path)
    check.set_defaults(run=run_check)
    compare = group.add_parser(
        "diff",
        parents=[JSON],
        help="each change between two contracts: breaking, relaxing or doc (exit 1: something breaks)",
    )
    compare.add_argument("old", metavar="OLD", type=Path)
    compare.add_argument("new", metavar="NEW", type=Path)
    compare.set_defaults(run=run_diff)
    what_if = group.add_parser(
        "try",
        parents=[STACK],
        help="what a proposed contract would have decided of the files received, record by record (writes nothing)",
        description="Every retained file whose first run arrived in the window (days UTC, inclusive; default: the "
        "whole history), judged again under the proposed contract in arrival order against one view of the orders "
        "stored so far, so first-wins, duplicates and conflicts come out as they would have had the proposal been "
        "active from the window's start; compared with what each file's first run decided. Nothing is written "
        "(docs/contracts.md).",
    )
    what_if.add_argument("contract", metavar="CONTRACT", type=Path, help="the proposed contract (ODCS)")
    what_if.add_argument("--since", metavar="DAY", help="the first day (YYYY-MM-DD); default: the whole history")
    what_if.add_argument("--until", metavar="DAY", help="the last day (YYYY-MM-DD, inclusive); default: today")
    what_if.add_argument(
        "--file", metavar="NAME|FILE_ID", help="only this file: its key, name or file id (8+ characters of it)"
    )
    out = what_if.add_mutually_exclusive_group()
    out.add_argument(
        "--json", action="store_true", help="print exactly one JSON document on stdout, every changed record in it"
    )
    out.add_argument("--html", type=Path, metavar="FILE", help="write one self-contained HTML page")
    what_if.add_argument(
        "--fail-under",
        metavar="SCORE",
        help="exit 1 when the files tried would score under SCORE (a fraction, 0.9, or a percentage, 90%%) "
        "under the proposal",
    )
    what_if.set_defaults(run=run_try)
    publish = group.add_parser(
        "publish",
        parents=[STACK, JSON],
        help="make a contract the active one for the next runs, no redeploy (exit 2: refused, or not confirmed)",
    )
    publish.add_argument("file", metavar="CONTRACT", type=Path)
    publish.add_argument("--yes", action="store_true", help="publish without asking (required with no terminal)")
    publish.set_defaults(
        run=run_publish, interrupted="a publish is done once its pointer is written: see `contract show`"
    )
    show = group.add_parser(
        "show", parents=[STACK, JSON], help="the active contract, or a past one: what it enforces, and its document"
    )
    show.add_argument(
        "version",
        metavar="VERSION",
        nargs="?",
        help="a contract as history names it, its ODCS version, or 8+ digest digits",
    )
    show.set_defaults(run=run_show)
    past = group.add_parser("history", parents=[STACK, JSON], help="what was active when, oldest first")
    past.set_defaults(run=run_history)
