"""`salesdq local run` and `salesdq local up`: the embedded AWS engine, no account needed."""

from __future__ import annotations

import argparse
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from salesdq import resources
from salesdq.cli import output
from salesdq.cli.exits import EXIT_FAILED, EXIT_OK
from salesdq.cli.options import FAULTS, JSON, PROGRESS, Commands, check_output, check_sales_files
from salesdq.errors import EngineFailedError, UsageError

if TYPE_CHECKING:
    from salesdq_engine import FaultPlan

LOCAL_EXTRA = "`salesdq local` needs the `local` extra (pip install 'salesdq[local]')"


def _require_engine() -> None:
    """Import the embedded engine (salesdq_engine) now, when a `local` command runs, and never before: moto
    comes with the `local` extra, and the engine refuses a moto other than the one it was checked against."""
    try:
        import salesdq_engine

        salesdq_engine.check_moto()  # again: an engine imported earlier in this process was checked then
    except ImportError as error:  # no engine, no moto, or another moto (salesdq_engine.MotoVersionError)
        raise UsageError(f"{error}: {LOCAL_EXTRA}") from error


def run_local_run(args: argparse.Namespace) -> int:
    check_sales_files(args.files)
    if args.out is not None:  # before the engine: a run whose results cannot be written must not run first
        check_output("--out", args.out, directory=True)
    if args.chunk_records < 1:
        raise UsageError("--chunk-records must be at least 1")
    _require_engine()
    faults = _fault_plan(args)
    from salesdq.local.run import local_run

    with output.progress_display(args.progress) as progress:
        summary = local_run(
            args.files, out=args.out, progress=progress, chunk_records=args.chunk_records, faults=faults
        )
    output.print_json(summary) if args.json else output.print_summary(summary)
    return EXIT_FAILED if summary["totals"]["rejected"] + summary["totals"]["failed"] else EXIT_OK


def _fault_plan(args: argparse.Namespace) -> FaultPlan | None:
    """The --faults plan (None without it); a bad spec is a usage error that lists every fault."""
    from salesdq_engine import FaultPlan, FaultSpecError, parse_faults

    if args.faults is None:
        return None
    try:
        return FaultPlan(rates=parse_faults(args.faults), seed=args.fault_seed)
    except FaultSpecError as error:
        raise UsageError(f"--faults: {error}") from error


def run_local_up(args: argparse.Namespace) -> int:
    _require_engine()
    faults = _fault_plan(args)
    if args.logs is not None:
        check_output("--logs", args.logs, directory=True)
    _check_port_free(args.port)
    from salesdq_engine import Engine, EngineError

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine = Engine(port=args.port, log_dir=args.logs, faults=faults)
    try:
        engine.start()
    except (EngineError, OSError) as error:  # provisioning refused, or a file it needs cannot be made
        engine.stop()
        raise EngineFailedError(f"the embedded engine did not start: {error}") from error
    try:
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
        print(
            "  everything lives in this process's memory: stopping it discards every file, order, quarantine message "
            "and audit event" + (f" (Lambda logs are kept in {args.logs})" if args.logs else ""),
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        running = engine.stop()
    if running:
        print(f"salesdq local stack stopped with {running} executions still running: their work is lost", flush=True)
    else:
        print("salesdq local stack stopped", flush=True)
    return EXIT_OK


def _port(text: str) -> int:
    """A TCP port, 1 to 65535 (a usage error otherwise, before anything starts)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, got {port}")
    return port


def _check_port_free(port: int) -> None:
    """Fail at once, before the engine starts, when another process holds the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise EngineFailedError(
                f"port {port} on 127.0.0.1 is not free ({error.strerror}): choose another with --port"
            ) from None


def add_to(commands: Commands) -> None:
    local = commands.add_parser("local", help="the embedded AWS engine (no account needed)")
    local_commands = local.add_subparsers(dest="local_command", required=True)

    run = local_commands.add_parser(
        "run", parents=[JSON, PROGRESS, FAULTS], help="process files end to end and print a summary"
    )
    run.add_argument("files", nargs="+", type=Path, metavar="FILE", help="sales files (.json or .jsonl)")
    run.add_argument("--out", type=Path, metavar="DIR", help="write orders, quarantine, audit and summary here")
    run.add_argument(
        "--chunk-records",
        type=int,
        default=resources.CHUNK_RECORDS,
        metavar="N",
        help=f"records per chunk (default {resources.CHUNK_RECORDS})",
    )
    run.set_defaults(
        run=run_local_run,
        interrupted="the embedded engine stopped, and the run's work went with it (what --out holds is partial)",
    )

    up = local_commands.add_parser(
        "up", parents=[FAULTS], help="run the engine as an AWS endpoint on loopback until Ctrl-C"
    )
    up.add_argument("--port", type=_port, default=4566, help="TCP port on 127.0.0.1 (default 4566)")
    up.add_argument("--logs", type=Path, metavar="DIR", help="write each Lambda's log here")
    up.set_defaults(run=run_local_up, interrupted="the embedded engine stopped before it was ready")
