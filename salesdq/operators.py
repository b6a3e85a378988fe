"""Operator commands: the DLQ, redrive, an order's history and totals, on AWS or `salesdq local up` alike."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from salesdq import resources
from salesdq.follow import FileResult, Progress, result_of, wait_for
from salesdq.stack import Stack
from services.dal.audit_log import AuditLog
from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.domain import json_codec
from services.domain.audit_events import EventKind

REDRIVE_BATCH = 200  # corrections per redrive call: well under Lambda's 6 MB payload


class OperatorError(Exception):
    """Something the operator can act on: the message says what and where."""


def _queue(stack: Stack) -> QuarantineQueue:
    return QuarantineQueue(stack.queue_url, stack.client("sqs"))


def dlq_messages(stack: Stack) -> list[dict[str, Any]]:
    return _queue(stack).items()


def export_lines(stack: Stack) -> list[dict[str, Any]]:
    inbox = InboxBucket(stack.bucket, stack.client("s3"))
    lines = []
    for message in dlq_messages(stack):
        body = message["body"]
        line = {k: body.get(k) for k in ("id", "kind", "file", "index", "order_id", "reasons", "attempt")}
        if body.get("kind") == "file":
            line["quarantined_key"] = body.get("quarantined_key")
        else:
            line["record"] = inbox.get_json(body["record_ref"]["key"]) if "record_ref" in body else body.get("record")
        lines.append(line)
    return lines


def _age(sent_at_ms: int, now_s: float) -> str:
    seconds = max(0, int(now_s - sent_at_ms / 1000))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def render_table(header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    rows = [tuple("" if c is None else str(c) for c in row) for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows])


def dlq_table(stack: Stack) -> str:
    now = time.time()
    rows = []
    for message in dlq_messages(stack):
        body = message["body"]
        reasons = "; ".join(f"{r['field']}: {r['rule']}" for r in body.get("reasons", []))
        rows.append(
            (
                body["id"],
                body.get("file"),
                body.get("index", "-"),
                body.get("order_id") or "-",
                reasons,
                body.get("attempt", 1),
                _age(message["sent_at_ms"], now),
            )
        )
    if not rows:
        return "the quarantine queue is empty"
    return render_table(("ID", "FILE", "INDEX", "ORDER ID", "REASONS", "ATTEMPT", "AGE"), rows)


def read_corrections(path: Path) -> list[dict[str, Any]]:
    """An exported (and edited) DLQ file -> corrections; every problem names its line."""
    if not path.is_file():
        raise OperatorError(f"no such file: {path}")
    corrections = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json_codec.loads(line)
        except ValueError as error:
            raise OperatorError(f"{path}:{number}: not a JSON line ({error.args[0]})") from None
        if not isinstance(entry, dict) or "id" not in entry or "record" not in entry:
            raise OperatorError(f'{path}:{number}: a line needs "id" and "record" (as `salesdq dlq export` writes)')
        corrections.append({"id": str(entry["id"]), "record": entry["record"]})
    if not corrections:
        raise OperatorError(f"{path} holds no corrections")
    return corrections


def redrive(stack: Stack, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    """Send corrections to the redrive Lambda; it matches them to DLQ messages by id."""
    client = stack.client("lambda")
    merged: dict[str, Any] = {"redriven": [], "refused": [], "executions": [], "batches": []}
    for start in range(0, len(corrections), REDRIVE_BATCH):
        response = client.invoke(
            FunctionName=stack.redrive_function,
            Payload=json_codec.dumps({"corrections": corrections[start : start + REDRIVE_BATCH]}).encode(),
        )
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            raise OperatorError(
                f"the redrive function failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
            )
        merged["redriven"] += payload["redriven"]
        merged["refused"] += payload["refused"]
        if payload.get("execution"):
            merged["executions"].append(payload["execution"])
            merged["batches"].append(payload["batch"])
    return merged


def wait_redrive(stack: Stack, result: dict[str, Any], progress: Progress) -> list[FileResult]:
    sfn = stack.client("stepfunctions")
    return [
        result_of(batch, wait_for(sfn, arn, progress))
        for arn, batch in zip(result["executions"], result["batches"], strict=True)
    ]


def history(stack: Stack, order_id: str) -> list[dict[str, Any]]:
    audit = AuditLog(stack.audit_table, stack.client("dynamodb"))
    found = sorted(audit.query(f"ORDER#{order_id}"), key=lambda e: (e.get("at", ""), e["sk"]))
    return [{k: v for k, v in e.items() if k not in ("pk", "sk")} for e in found]


def history_table(found: list[dict[str, Any]]) -> str:
    rows = []
    for e in found:
        reasons = "; ".join(f"{r['field']}: {r['rule']}" for r in e.get("reasons", []))
        rows.append((e.get("at"), e.get("event"), e.get("file"), e.get("index"), e.get("attempt"), reasons))
    return render_table(("AT", "EVENT", "FILE", "INDEX", "ATTEMPT", "REASONS"), rows)


def report(stack: Stack) -> dict[str, Any]:
    """Totals over the whole audit history, from the file events of the sparse by-day index (redrive batches
    included: a redriven record counts once quarantined and once for its new outcome)."""
    audit = AuditLog(stack.audit_table, stack.client("dynamodb"))
    totals = {"files": 0, "records": 0, "stored": 0, "duplicates": 0, "quarantined": 0}
    rejected = duplicate_files = 0
    for event in audit.scan(index=resources.AUDIT.indexes[0].name):
        kind = event.get("event")
        if kind == EventKind.FILE_COMPLETED:
            totals["files"] += 1
            for key in ("records", "stored", "duplicates", "quarantined"):
                totals[key] += int(event.get(key, 0))
        elif kind == EventKind.FILE_REJECTED:
            rejected += 1
        elif kind == EventKind.FILE_DUPLICATE:
            duplicate_files += 1
    return {"totals": totals, "files_rejected": rejected, "files_duplicate": duplicate_files}
