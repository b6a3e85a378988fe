"""`salesdq audit verify | rebuild | repair`: the audit log folded back into what it projects, as the source of
truth (salesdq/operators/audit.py). Their old names `audit verify|rebuild|repair` still work
(salesdq/cli/replay.py, salesdq/cli/old_names.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from salesdq.cli import old_names, output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import JSON, STACK, Commands, check_output, stack_ref
from salesdq.operators import audit


def run_verify(args: argparse.Namespace) -> int:
    found = audit.verify(stack_ref(args))
    output.print_json(found.as_dict()) if args.json else output.print_verification(found.as_dict())
    return EXIT_FAILED if found.drift else EXIT_OK


def run_rebuild(args: argparse.Namespace) -> int:
    out = args.out
    check_output("--out", out, directory=True)
    written = audit.rebuild(stack_ref(args), out)
    if args.json:
        output.print_json({"out": str(out), **written})
    else:
        print(
            f"rebuilt from the audit log into {out}: {written['orders']:,} orders, "
            f"{written['quarantine']:,} quarantined, {written['files']:,} file runs"
        )
    return EXIT_OK


def run_repair(args: argparse.Namespace) -> int:
    done = audit.repair(stack_ref(args), apply=args.yes)
    output.print_json(done.as_dict()) if args.json else output.print_repair(done.as_dict())
    return EXIT_OK


def add_commands(actions: Commands, old_group: str | None = None) -> None:
    """verify, rebuild and repair, added to a group's subcommands: audit's, or (old_group "replay") under the
    old names, each saying its new one."""

    def add(name: str, help: str) -> argparse.ArgumentParser:
        shown = help if old_group is None else old_names.help_of(f"audit {name}")
        return actions.add_parser(name, parents=[STACK, JSON], help=shown)

    verify = add("verify", "compare the orders and the quarantine with the audit log (exit 1: drift)")
    verify.set_defaults(run=run_verify)
    rebuild = add("rebuild", "write the projections folded from the audit log alone")
    rebuild.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="orders.jsonl, quarantine.jsonl, files.jsonl"
    )
    rebuild.set_defaults(run=run_rebuild, interrupted="nothing was changed; what --out holds is partial")
    repair = add("repair", "restore missing and changed orders from the audit log")
    repair.add_argument("--yes", action="store_true", help="write the restores (without it: print the plan)")
    repair.set_defaults(
        run=run_repair,
        interrupted="orders restored before it stay restored: `salesdq audit verify` shows what is left",
    )
    if old_group is not None:
        for name, parser in (("verify", verify), ("rebuild", rebuild), ("repair", repair)):
            old_names.rename(parser, f"{old_group} {name}", f"audit {name}")


def add_to(commands: Commands) -> None:
    command = commands.add_parser(
        "audit", help="the audit log as the source of truth: verify the stores against it, rebuild, repair"
    )
    add_commands(command.add_subparsers(dest="audit_command", required=True))
