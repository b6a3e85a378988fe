"""Upload a file to the inbox and follow the workflow execution it starts, on AWS or the embedded engine."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesdq import resources

POLL_SECONDS = 0.05
STATUSES = ("completed", "rejected", "duplicate", "failed")
FIND_TIMEOUT_S = 120.0  # EventBridge delivers within seconds on AWS; the engine delivers at once


class FollowError(Exception):
    """The upload started no execution, or the execution outlived the timeout."""


@dataclass
class FileResult:
    file: str
    status: str
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reason: str | None = None
    execution: str | None = None


class Progress:
    """A one-line progress indicator on stderr, drawn only for a terminal or when asked."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0

    def update(self, text: str) -> None:
        now = time.monotonic()
        if self.enabled and now - self._last > 0.5:
            self._last = now
            sys.stderr.write(f"\r\033[K{text}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def result_of(file: str, description: dict[str, Any]) -> FileResult:
    """A finished execution's description -> what became of its file."""
    name = description["executionArn"].rsplit(":", 1)[-1]
    if description["status"] != "SUCCEEDED":
        cause = description.get("cause") or description["status"]
        return FileResult(
            file=file, status="failed", reason=f"{description.get('error', '')}: {cause}"[:500], execution=name
        )
    output = json.loads(description.get("output") or "{}")
    status = output.get("status", "failed")
    reason = output.get("reason")
    if status == "duplicate":
        reason = f"same bytes as {output.get('duplicate_of')}"
    return FileResult(
        file=file,
        status=status,
        records=int(output.get("records", 0)) if status == "completed" else 0,
        stored=int(output.get("stored", 0)),
        duplicates=int(output.get("duplicates", 0)),
        quarantined=int(output.get("quarantined", 0)),
        reason=reason,
        execution=name,
    )


def executions(sfn: Any, machine: str) -> set[str]:
    found: set[str] = set()
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        found |= {e["executionArn"] for e in page["executions"]}
    return found


def wait_for(
    sfn: Any, arn: str, progress: Progress, status: Callable[[], str] | None = None, timeout_s: float = 24 * 3600
) -> dict[str, Any]:
    begin = time.monotonic()
    while True:
        description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() - begin > timeout_s:
            raise FollowError(f"{arn} still running after {timeout_s:.0f} s")
        progress.update(
            f"{arn.rsplit(':', 1)[-1]}: {time.monotonic() - begin:6.1f} s" + (f", {status()}" if status else "")
        )
        time.sleep(POLL_SECONDS)


def upload(s3: Any, bucket: str, path: Path) -> str:
    key = resources.INCOMING_PREFIX + path.name
    with path.open("rb") as body:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return key


def upload_and_follow(
    *,
    s3: Any,
    sfn: Any,
    bucket: str,
    machine: str,
    path: Path,
    progress: Progress,
    status: Callable[[], str] | None = None,
) -> FileResult:
    """Upload one file as a user would, find the execution the upload started, and wait for its outcome."""
    before = executions(sfn, machine)
    key = upload(s3, bucket, path)
    begin = time.monotonic()
    while True:
        for arn in executions(sfn, machine) - before:
            started = json.loads(sfn.describe_execution(executionArn=arn).get("input") or "{}")
            if started.get("detail", {}).get("object", {}).get("key") == key:
                return result_of(str(path), wait_for(sfn, arn, progress, status))
        if time.monotonic() - begin > FIND_TIMEOUT_S:
            raise FollowError(f"{path.name}: the upload to {key} started no workflow execution")
        time.sleep(POLL_SECONDS * 4)


def totals(results: Sequence[FileResult]) -> dict[str, int]:
    summary = {
        "files": len(results),
        "records": sum(r.records for r in results),
        "stored": sum(r.stored for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "quarantined": sum(r.quarantined for r in results),
    }
    for status in STATUSES:
        summary[status] = sum(1 for r in results if r.status == status)
    return summary


def render_table(summary: dict[str, Any]) -> str:
    header = ("FILE", "STATUS", "RECORDS", "STORED", "DUPLICATES", "QUARANTINED", "REASON")
    rows = [
        (
            Path(f["file"]).name,
            f["status"],
            f["records"],
            f["stored"],
            f["duplicates"],
            f["quarantined"],
            f["reason"] or "",
        )
        for f in summary["files"]
    ]
    t = summary["totals"]
    rows.append(("total", f"{t['files']} files", t["records"], t["stored"], t["duplicates"], t["quarantined"], ""))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join(cells) + ("  " + str(row[-1]) if row[-1] else ""))
    usage = summary.get("usage")
    if usage is not None:  # metered only on the embedded engine
        rate = t["records"] / summary["elapsed_s"] if summary["elapsed_s"] else 0.0
        lines.append("")
        lines.append(
            f"{summary['elapsed_s']:.2f} s, {rate:.0f} records/s; AWS list price for this run "
            f"${usage['total_usd']:.6f} (${usage['usd_per_million_records']:.2f} per million records)"
        )
    return "\n".join(lines)
