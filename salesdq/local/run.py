"""`salesdq local run`: files through the whole workflow on the embedded engine, and what came of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from salesdq import resources
from salesdq.errors import EngineFailedError, SalesdqError
from salesdq.locate import StackRef
from salesdq.operators import projections
from salesdq.operators.follow import totals, upload_and_follow_each
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, EngineError, FaultPlan
from services.dal.quarantine_view import body_of
from services.domain import json_codec
from services.domain.audit_events import EventKind
from services.ingest.failures import with_hint

# What a failed run's reason says to do under `local run` (on a stack: upload the file again, failures.RETRY_HINT).
LOCAL_RETRY_HINT = "the engine and its state end with this command: run `salesdq local run` again with the same file"


def stack_of(engine: Engine) -> StackRef:
    """The running engine's stack, as `salesdq.locate` finds a deployed one."""
    if engine.stack is None:
        raise EngineError("the embedded engine is not running")
    return StackRef.of(engine.stack, engine.client)


def export(engine: Engine, out: Path, summary: dict[str, Any]) -> None:
    """Write what the stores hold as JSON Lines (salesdq/operators/projections.py: streamed, never a whole
    table in memory), plus the summary."""
    stack = stack_of(engine)
    engine.freeze_heap()  # the run is over: its tables are read, not grown
    out.mkdir(parents=True, exist_ok=True)
    projections.write_orders(out, stack.orders().scan())
    projections.write_quarantine(out, (body_of(item) for item in stack.quarantined().items()), stack.inbox().get_json)
    events = (e for e in stack.audit().scan() if e.get("event") != EventKind.FILE_CLAIMED)
    projections.write_sorted_jsonl(out / "audit.jsonl", events, key=lambda e: (e.get("at", ""), e["pk"], e["sk"]))
    write_summary(out, summary)


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    (out / "summary.json").write_text(json_codec.dumps(summary, indent=2) + "\n", encoding="utf-8")


ENGINE_LOG = "engine.log"


@contextmanager
def engine_logging(log_file: Path | None) -> Iterator[None]:
    """What the engine's libraries log and warn (moto's Step Functions interpreter logs each failure it
    handles, a dump of the state it failed in; Powertools warns of a crashed invocation's unpublished metrics)
    goes to `log_file`, or nowhere: stderr holds salesdq's own lines. Python's last-resort handler prints any
    warning or error logged while no handler is set, and a warning prints itself, unless captured. For
    `salesdq local run` (tests calling local_run() keep their own logging once it returns)."""
    root = logging.getLogger()
    handler: logging.Handler = logging.NullHandler()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield
    except Exception:
        _restore(handler)
        raise
    # Ctrl-C leaves it all in place: the engine's threads wind down while the process ends, logging as they go.
    _restore(handler)


def _restore(handler: logging.Handler) -> None:
    logging.captureWarnings(False)
    logging.getLogger().removeHandler(handler)
    handler.close()


def local_run(
    paths: Sequence[Path],
    *,
    out: Path | None,
    progress: Progress,
    chunk_records: int = resources.CHUNK_RECORDS,
    faults: FaultPlan | None = None,
    retry_wait_scale: float = 1.0,
    on_engine: Callable[[Engine], None] | None = None,
) -> dict[str, Any]:
    """Start an engine, upload each file in order, wait for each execution; the summary `--json` prints.
    With `faults`, the engine injects them and the summary says how many of each. `retry_wait_scale` (tests
    only) shortens the workflow's Retry waits.
    EngineFailedError when the engine fails: the message says how, in one line."""
    try:
        with engine_logging(out / "logs" / ENGINE_LOG if out else None):
            return _run(
                paths,
                out=out,
                progress=progress,
                engine=Engine(
                    log_dir=out / "logs" if out else None,
                    chunk_records=chunk_records,
                    faults=faults,
                    retry_wait_scale=retry_wait_scale,
                ),
                on_engine=on_engine,
            )
    except SalesdqError:
        raise
    except EngineError as error:
        raise EngineFailedError(f"the embedded engine failed: {error}") from error
    except Exception as error:  # the engine runs the whole stack in this process: any fault in it ends the run
        raise EngineFailedError(f"the embedded engine failed: {type(error).__name__}: {error}") from error


def _run(
    paths: Sequence[Path],
    *,
    out: Path | None,
    progress: Progress,
    engine: Engine,
    on_engine: Callable[[Engine], None] | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    with engine:
        if on_engine:
            on_engine(engine)
        stack = stack_of(engine)
        results = upload_and_follow_each(
            stack,
            paths,
            progress,
            note=lambda: f"{engine.usage.lambda_requests:,} Lambda calls",
            explain=lambda error: f"{error} ({'; '.join(engine.delivery_errors) or 'no delivery error'})",
        )
        for result in results:
            if result.status == "failed":  # no stack to upload the file to again once this command exits
                result.reason = with_hint(result.reason or "", LOCAL_RETRY_HINT)
        progress.done()
        ran = time.perf_counter()
        usage = engine.usage.snapshot()
        total = totals(results)
        summary: dict[str, Any] = {
            "files": [asdict(r) for r in results],
            "totals": total,
            "usage": usage.report(total["records"]),
            "elapsed_s": round(ran - started, 3),
            "timings": {"run_s": round(ran - started, 3), "export_s": None},
            "faults": engine.faults.report() if engine.faults.plan.rates else None,
        }
        if out is not None:
            export(engine, out, summary)
            # What the command did, export included: the elapsed time covers both, and says which was which.
            done = time.perf_counter()
            summary["elapsed_s"] = round(done - started, 3)
            summary["timings"]["export_s"] = round(done - ran, 3)
            write_summary(out, summary)
    return summary
