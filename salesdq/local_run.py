"""`salesdq local run`: files through the whole workflow on the embedded engine, and what came of them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from salesdq import resources
from salesdq.engine import Engine, EngineError
from salesdq.follow import FollowError, Progress, totals, upload_and_follow
from services.dal.audit_log import AuditLog
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue
from services.domain import json_codec


def export(engine: Engine, out: Path, summary: dict[str, Any]) -> None:
    """Write what the stores hold as plain JSON Lines, plus the summary."""
    assert engine.names is not None
    out.mkdir(parents=True, exist_ok=True)
    orders = OrdersTable(engine.names.orders_table, engine.client("dynamodb"))
    audit = AuditLog(engine.names.audit_table, engine.client("dynamodb"))
    queue = QuarantineQueue(engine.names.queue_url, engine.client("sqs"))
    _write_jsonl(out / "orders.jsonl", sorted(orders.scan(), key=lambda o: _order_sort_key(o["OrderId"])))
    bodies = sorted((m["body"] for m in queue.items()), key=lambda b: (b.get("file", ""), b.get("index", -1)))
    _write_jsonl(out / "quarantine.jsonl", bodies)
    audit_events = [e for e in audit.scan() if e.get("event") != "file.claimed"]
    _write_jsonl(out / "audit.jsonl", sorted(audit_events, key=lambda e: (e.get("at", ""), e["pk"], e["sk"])))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def _order_sort_key(order_id: str) -> tuple[int, int | str]:
    return (0, int(order_id)) if order_id.isdigit() else (1, order_id)


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json_codec.dumps(row, sort_keys=True) + "\n")


def local_run(
    paths: Sequence[Path],
    *,
    out: Path | None,
    progress: Progress,
    chunk_records: int = resources.CHUNK_RECORDS,
    on_engine: Callable[[Engine], None] | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    log_dir = out / "logs" if out else None
    with Engine(log_dir=log_dir, chunk_records=chunk_records) as engine:
        if on_engine:
            on_engine(engine)
        assert engine.names is not None
        names = engine.names
        results = []
        for path in paths:
            try:
                results.append(
                    upload_and_follow(
                        s3=engine.client("s3"),
                        sfn=engine.client("stepfunctions"),
                        bucket=names.bucket,
                        machine=names.state_machine_arn,
                        path=path,
                        progress=progress,
                        status=lambda: f"{engine.usage.lambda_requests} Lambda calls",
                    )
                )
            except FollowError as error:
                raise EngineError(f"{error} ({'; '.join(engine.delivery_errors) or 'no delivery error'})") from error
        progress.done()
        elapsed = time.perf_counter() - started
        usage = engine.usage.snapshot()
        total = totals(results)
        summary: dict[str, Any] = {
            "files": [asdict(r) for r in results],
            "totals": total,
            "usage": usage.report(total["records"]),
            "elapsed_s": round(elapsed, 3),
        }
        if out is not None:
            export(engine, out, summary)
    return summary
