"""`salesdq contract check CONTRACT`, `contract diff OLD NEW` and `contract try CONTRACT --file NAME`: an ODCS contract
file, what salesdq would enforce of it, how two differ (these two read files only), and what a proposed one
would have decided of a file already received (it reads the stack, and writes nothing) (docs/contracts.md).
`contract publish CONTRACT`, `contract show [VERSION]` and `contract history`: the active contract, which the next
runs judge by (salesdq/operators/publish.py, docs/contracts.md#publishing)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from salesdq.cli.options import JSON, STACK, Commands, check_input_file, stack_ref
from salesdq.cli.report import fraction_of
from salesdq.operators import publish as publishing
from salesdq.operators.contract import BREAKING, describe, diff, read, try_file
from salesdq.reports.compute import percent
from services.contract import ContractError, UnsupportedConstructError


def refusal(path: Path, error: ContractError) -> dict[str, object]:
    found: dict[str, object] = {"file": str(path), "valid": False}
    if isinstance(error, UnsupportedConstructError):
        return found | {"refused": "unsupported", "path": error.path, "reason": error.sentence}
    return found | {"refused": "not_odcs", "reason": str(error)}


def refused(args: argparse.Namespace, path: Path, error: ContractError) -> int:
    if args.json:
        output.print_json(refusal(path, error))
    else:
        print(f"salesdq: {path} refused: {error}", file=sys.stderr)
    return EXIT_USAGE


def run_check(args: argparse.Namespace) -> int:
    check_input_file(args.file)
    try:
        contract = read(args.file)
    except ContractError as error:
        return refused(args, args.file, error)
    found = describe(contract)
    if args.json:
        output.print_json(found)
    else:
        output.print_contract(found)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    compiled = []
    for path in (args.old, args.new):
        check_input_file(path)
    for path in (args.old, args.new):
        try:
            compiled.append(read(path))
        except ContractError as error:
            return refused(args, path, error)
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
    check_input_file(args.contract)
    stack = stack_ref(args)  # a setting that names no stack is a usage error before any reading
    try:
        proposal = read(args.contract)
    except ContractError as error:
        return refused(args, args.contract, error)
    found = try_file(stack, proposal, args.file)
    if args.json:
        output.print_json(found)
    else:
        output.print_contract_try(found)
    score = found["score_now"]
    if fail_under is not None and score is not None and score < fail_under:
        print(
            f"salesdq: {found['file']} would score {percent(score)} under the proposal, under {percent(fail_under)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    check_input_file(args.file)
    try:
        contract = read(args.file)  # refused as `check` refuses it, before any stack is reached
    except ContractError as error:
        return refused(args, args.file, error)
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
        "contract", help="ODCS record contracts: check one, diff two, try one on a file received"
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
        parents=[STACK, JSON],
        help="what a proposed contract would have decided of a retained file, record by record (writes nothing)",
    )
    what_if.add_argument("contract", metavar="CONTRACT", type=Path, help="the proposed contract (ODCS)")
    what_if.add_argument("--file", required=True, metavar="NAME|FILE_ID", help="the file run to judge again")
    what_if.add_argument(
        "--fail-under",
        metavar="SCORE",
        help="exit 1 when the file would score under SCORE (a fraction, 0.9, or a percentage, 90%%) under the proposal",
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
