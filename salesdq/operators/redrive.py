"""Redrive: corrected records (an edited `dlq export`) sent to the redrive Lambda, which matches each to its DLQ
message by id and runs them through the ingest workflow; and waiting for those runs."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

from salesdq.errors import OperationFailedError, UsageError
from salesdq.locate import StackRef
from salesdq.operators.follow import FileResult, execution_name, result_of, wait_for
from salesdq.operators.progress import Progress, RecordsDone, fingerprint
from services.dal.lambda_function import FunctionFailedError

REDRIVE_BATCH = 200  # corrections per redrive call: well under Lambda's 6 MB payload


def read_corrections(path: Path) -> list[dict[str, Any]]:
    """An exported (and edited) DLQ file -> corrections; every problem names its line."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    corrections = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as error:
            raise UsageError(f"{path}:{number}: not a JSON line ({error.args[0]})") from None
        if not isinstance(entry, dict) or "id" not in entry or "record" not in entry:
            raise UsageError(f'{path}:{number}: a line needs "id" and "record" (as `salesdq dlq export` writes)')
        corrections.append({"id": str(entry["id"]), "record": entry["record"]})
    if not corrections:
        raise UsageError(f"{path} holds no corrections")
    return corrections


def send_corrections(stack: StackRef, corrections: list[dict[str, Any]]) -> dict[str, Any]:
    """Send corrections to the redrive Lambda, REDRIVE_BATCH a call; what it redrove, refused and started."""
    function = stack.redrive()
    merged: dict[str, Any] = {"redriven": [], "refused": [], "executions": [], "batches": []}
    for start in range(0, len(corrections), REDRIVE_BATCH):
        try:
            answer = function.invoke({"corrections": corrections[start : start + REDRIVE_BATCH]})
        except FunctionFailedError as error:
            raise OperationFailedError(f"the redrive function failed: {error}") from error
        merged["redriven"] += answer["redriven"]
        merged["refused"] += answer["refused"]
        if answer.get("execution"):
            merged["executions"].append(answer["execution"])
            merged["batches"].append(answer["batch"])
    return merged


def wait_for_batches(stack: StackRef, sent: dict[str, Any], progress: Progress) -> list[FileResult]:
    """Wait for the execution of every batch send_corrections started; what became of each batch."""
    executions = stack.executions()
    results = []
    for arn, batch in zip(sent["executions"], sent["batches"], strict=True):
        records = None
        if progress.wants_records:  # a batch's id in the audit log is its fingerprint, as for any file
            stream, _ = stack.inbox().open(batch)
            with closing(stream):
                records = RecordsDone(stack.audit(), fingerprint(stream), execution_name(arn))
        results.append(result_of(batch, wait_for(executions, arn, progress, label=batch, records=records)))
    return results
