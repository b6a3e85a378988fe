"""Redrive: corrected records (an edited `quarantine export`) sent to the redrive Lambda, which matches each to its
quarantine message by id and runs them through the ingest workflow; and waiting for those runs."""

from __future__ import annotations

import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from salesdq.errors import OperationFailedError, UsageError
from salesdq.locate import StackRef
from salesdq.operators.follow import FileResult, execution_name, result_of, wait_for
from salesdq.operators.progress import Progress, RecordsDone, fingerprint
from services.dal.lambda_function import FunctionFailedError
from services.domain import json_codec

REDRIVE_BATCH = 200  # corrections per redrive call: well under Lambda's 6 MB payload


def read_corrections(path: Path) -> list[dict[str, Any]]:
    """A quarantine export (edited) -> corrections; a line that is not JSON, or names no id, is a usage
    error naming its line. A line without a record (a rejected file's, as `quarantine export` writes them, or an id
    alone) is sent like any other: the redrive refuses that line alone (`not_a_record`, `no_record`), and the
    quarantined record stays as it is."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    corrections = []
    seen: dict[str, int] = {}  # id -> the line that corrects it
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json_codec.loads(line)
        except ValueError as error:
            raise UsageError(f"{path}:{number}: not a JSON line ({error.args[0]})") from None
        if not isinstance(entry, dict) or "id" not in entry:
            raise UsageError(f'{path}:{number}: a line needs "id" and "record" (as `salesdq quarantine export` writes)')
        if str(entry["id"]) in seen:
            raise UsageError(
                f"{path}:{number}: id {entry['id']} is corrected on line {seen[str(entry['id'])]} too: "
                "keep one line per id"
            )
        seen[str(entry["id"])] = number
        correction = {"id": str(entry["id"]), "record": entry.get("record")}
        if isinstance(entry.get("attempt"), int):
            correction["attempt"] = entry["attempt"]
        corrections.append(correction)
    if not corrections:
        raise UsageError(f"{path} holds no corrections")
    return corrections


def _text(path: Path) -> str:
    """The file as UTF-8 text (`quarantine export` writes it so); UsageError naming the line of the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        packed = " (it looks gzip-compressed: gunzip it first)" if data[:2] == b"\x1f\x8b" else ""
        raise UsageError(f"{path}:{line}: not UTF-8 text (byte {data[error.start]:#04x}){packed}") from None


def send_corrections(stack: StackRef, corrections: list[dict[str, Any]], request: str | None = None) -> dict[str, Any]:
    """Send corrections to the redrive Lambda, REDRIVE_BATCH a call, each call a request of its own id (the
    same id again, as botocore's retry of a call that answered late sends it, does the same thing once);
    what it redrove, refused, found already redriven, and the executions to follow: those it started, and
    those of earlier requests (a crashed one included) that hold some of its records."""
    function = stack.redrive()
    request = request or uuid.uuid4().hex
    merged: dict[str, Any] = {
        "redriven": [],
        "refused": [],
        "already": [],
        "executions": [],
        "batches": [],
        "contract": None,  # the active contract the redrive function judged the corrections by
    }
    for number, start in enumerate(range(0, len(corrections), REDRIVE_BATCH)):
        payload = {"request_id": f"{request}-{number}", "corrections": corrections[start : start + REDRIVE_BATCH]}
        try:
            answer = function.invoke(payload)
        except FunctionFailedError as error:
            raise OperationFailedError(
                f"the redrive function failed: {error}. Sending the file again is safe: a record this request "
                "took on is reported as already redriven and its batch is finished and followed"
            ) from error
        for key in ("redriven", "refused", "already"):
            merged[key] += answer.get(key, [])
        merged["contract"] = answer.get("contract", merged["contract"])
        started = [{"execution": answer["execution"], "batch": answer["batch"]}] if answer.get("execution") else []
        for batch in [*started, *answer.get("following", [])]:
            if batch["execution"] not in merged["executions"]:
                merged["executions"].append(batch["execution"])
                merged["batches"].append(batch["batch"])
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
