"""The salesdq command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from salesdq import __version__, operators, resources
from salesdq.follow import FollowError, Progress, render_table, totals, upload_and_follow
from salesdq.stack import Stack, StackNotFoundError, locate
from services.dal.quarantine_queue import HoldExpiredError
from services.domain import json_codec

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""


def _files(paths: Sequence[Path]) -> None:
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        if path.suffix not in resources.INCOMING_SUFFIXES:
            raise UsageError(f"{path}: only {' and '.join(resources.INCOMING_SUFFIXES)} files start the workflow")


def _progress(args: argparse.Namespace) -> Progress:
    return Progress(args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty()))


def _print(data: Any) -> None:
    print(json_codec.dumps(data, indent=2))


# ---------------------------------------------------------------- local


def cmd_local_run(args: argparse.Namespace) -> int:
    _files(args.files)
    if args.chunk_records < 1:
        raise UsageError("--chunk-records must be at least 1")
    from salesdq.local_run import local_run  # moto loads only for the commands that run the engine

    summary = local_run(args.files, out=args.out, progress=_progress(args), chunk_records=args.chunk_records)
    _print(summary) if args.json else print(render_table(summary))
    return EXIT_FAILED if summary["totals"]["rejected"] + summary["totals"]["failed"] else EXIT_OK


def cmd_local_up(args: argparse.Namespace) -> int:
    from salesdq.engine import Engine

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Engine(port=args.port, log_dir=args.logs) as engine:
        print(
            f"salesdq local stack ready: AWS_ENDPOINT_URL={engine.endpoint} AWS_DEFAULT_REGION={engine.region}",
            flush=True,
        )
        print(
            f"  export AWS_ENDPOINT_URL={engine.endpoint} AWS_DEFAULT_REGION={engine.region} "
            "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
            flush=True,
        )
        print("  uploads to s3://salesdq-inbox/incoming/ are processed automatically; Ctrl-C stops", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("salesdq local stack stopped", flush=True)
    return EXIT_OK


# ---------------------------------------------------------------- operators


def _stack(args: argparse.Namespace) -> Stack:
    return locate(args.stack, args.region)


def cmd_upload(args: argparse.Namespace) -> int:
    _files(args.files)
    stack = _stack(args)
    s3, sfn = stack.client("s3"), stack.client("stepfunctions")
    if not args.wait:
        from salesdq.follow import upload

        keys = [upload(s3, stack.bucket, path) for path in args.files]
        _print({"uploaded": keys}) if args.json else print("\n".join(f"uploaded s3://{stack.bucket}/{k}" for k in keys))
        return EXIT_OK
    progress = _progress(args)
    results = [
        upload_and_follow(
            s3=s3, sfn=sfn, bucket=stack.bucket, machine=stack.state_machine_arn, path=p, progress=progress
        )
        for p in args.files
    ]
    progress.done()
    counts = totals(results)
    summary: dict[str, Any] = {
        "files": [asdict(r) for r in results],
        "totals": counts,
        "usage": None,
        "elapsed_s": None,
    }
    _print(summary) if args.json else print(render_table(summary))
    return EXIT_FAILED if counts["rejected"] + counts["failed"] else EXIT_OK


def cmd_dlq_list(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if args.json:
        _print([m["body"] for m in operators.dlq_messages(stack)])
    else:
        print(operators.dlq_table(stack))
    return EXIT_OK


def cmd_dlq_export(args: argparse.Namespace) -> int:
    lines = operators.export_lines(_stack(args))
    text = "".join(json_codec.dumps(line) + "\n" for line in lines)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"exported {len(lines)} quarantined items to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_redrive(args: argparse.Namespace) -> int:
    try:
        corrections = operators.read_corrections(args.file)
    except operators.OperatorError as error:
        raise UsageError(str(error)) from error
    stack = _stack(args)
    result = operators.redrive(stack, corrections)
    outcome: dict[str, Any] = {k: result[k] for k in ("redriven", "refused", "executions")}
    failed = bool(result["refused"])
    if args.wait and result["executions"]:
        progress = _progress(args)
        files = operators.wait_redrive(stack, result, progress)
        progress.done()
        outcome["results"] = [asdict(f) for f in files]
        outcome["totals"] = totals(files)
        failed = failed or any(f.status in ("rejected", "failed") for f in files)
    if args.json:
        _print(outcome)
    else:
        print(f"redriven: {len(result['redriven'])}, refused: {len(result['refused'])}")
        for refusal in result["refused"]:
            print(f"  refused {refusal['id']}: {refusal['error']}: {refusal['message']}")
        for f in outcome.get("results", []):
            print(
                f"  {f['file']}: {f['status']}, {f['stored']} stored, {f['duplicates']} duplicates, "
                f"{f['quarantined']} quarantined again"
            )
    return EXIT_FAILED if failed else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    found = operators.history(_stack(args), args.order_id)
    if args.json:
        _print(found)
    elif found:
        print(operators.history_table(found))
    else:
        print(f"no audit events for order {args.order_id}", file=sys.stderr)
    return EXIT_OK if found else EXIT_FAILED


def cmd_report(args: argparse.Namespace) -> int:
    data = operators.report(_stack(args))
    if args.json:
        _print(data)
    else:
        print(operators.render_table(tuple(data["totals"]), [tuple(data["totals"].values())]))
    return EXIT_OK


# ---------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salesdq", description="Data quality for sales files on AWS.")
    parser.add_argument("--version", action="version", version=f"salesdq {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def progress_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--progress",
            choices=("auto", "always", "never"),
            default="auto",
            help="progress line on stderr (auto: when stderr is a terminal)",
        )

    local = commands.add_parser("local", help="the embedded AWS engine (no account needed)")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    run = local_commands.add_parser("run", help="process files end to end and print a summary")
    run.add_argument("files", nargs="+", type=Path, metavar="FILE", help="sales files (.json or .jsonl)")
    run.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    run.add_argument("--out", type=Path, metavar="DIR", help="write orders, quarantine, audit and summary here")
    run.add_argument(
        "--chunk-records",
        type=int,
        default=resources.CHUNK_RECORDS,
        metavar="N",
        help=f"records per chunk (default {resources.CHUNK_RECORDS})",
    )
    progress_flag(run)
    run.set_defaults(func=cmd_local_run)
    up = local_commands.add_parser("up", help="run the engine as an AWS endpoint on loopback until Ctrl-C")
    up.add_argument("--port", type=int, default=4566)
    up.add_argument("--logs", type=Path, metavar="DIR", help="write each Lambda's log here")
    up.set_defaults(func=cmd_local_up)

    def operator(name: str, help_text: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help_text)
        p.add_argument("--stack", metavar="NAME", help="a deployed stack (default: AWS_ENDPOINT_URL, else 'salesdq')")
        p.add_argument("--region", help="AWS region (default: the standard AWS configuration)")
        return p

    upload = operator("upload", "upload files to the inbox")
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE")
    upload.add_argument("--wait", action="store_true", help="wait for the workflow and print the summary")
    upload.add_argument("--json", action="store_true")
    progress_flag(upload)
    upload.set_defaults(func=cmd_upload)

    dlq = commands.add_parser("dlq", help="the quarantine dead-letter queue")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    for name, func, help_text in (
        ("list", cmd_dlq_list, "quarantined items as a table"),
        ("export", cmd_dlq_export, "quarantined items as JSON Lines, not consumed"),
    ):
        p = dlq_commands.add_parser(name, help=help_text)
        p.add_argument("--stack", metavar="NAME")
        p.add_argument("--region")
        if name == "list":
            p.add_argument("--json", action="store_true")
        else:
            p.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
        p.set_defaults(func=func)

    redrive = operator("redrive", "send corrected records (an edited export) back through the workflow")
    redrive.add_argument("file", type=Path, metavar="FILE")
    redrive.add_argument("--wait", action="store_true", help="wait for the reprocessing and print its outcome")
    redrive.add_argument("--json", action="store_true")
    progress_flag(redrive)
    redrive.set_defaults(func=cmd_redrive)

    history = operator("history", "every audit event of one order, oldest first")
    history.add_argument("order_id", metavar="ORDER_ID")
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=cmd_history)

    report = operator("report", "totals over the whole audit history")
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"salesdq: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (StackNotFoundError, operators.OperatorError, FollowError, HoldExpiredError) as error:
        print(f"salesdq: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `salesdq ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
