"""Prepare: stream a sales file into partitioned chunks in S3 and a manifest, or reject it whole.

Records are partitioned by a stable hash of their order id, so every record of one order lands in one
partition, whose chunks run in file order: "first in file order wins" holds however many partitions run
at once. Memory holds at most one chunk per partition, whatever the file's size.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from typing import Any

from services.audit import events
from services.shared.dal.audit_log import AuditLog
from services.shared.dal.quarantine import QuarantineQueue
from services.shared.dal.staging import Staging
from services.validator.contract import extract_order_id
from services.validator.ingest import FileRejectedError, SalesFile

BYTES_PER_RECORD_ESTIMATE = 200
STAGING = "staging"
QUARANTINED_FILES = "quarantine/files"


@dataclass(frozen=True)
class FileJob:
    bucket: str
    key: str
    size: int
    execution: str
    at: str


def partitions_for(size: int, chunk_records: int, max_partitions: int) -> int:
    estimate = size / BYTES_PER_RECORD_ESTIMATE
    return max(1, min(max_partitions, math.ceil(estimate / chunk_records)))


def partition_of(order_id: str | None, index: int, partitions: int) -> int:
    if order_id is None:  # nothing to keep together: spread by position
        return index % partitions
    return zlib.crc32(order_id.encode("utf-8")) % partitions


class _Chunker:
    def __init__(self, staging: Staging, prefix: str, partitions: int, chunk_records: int) -> None:
        self._staging = staging
        self._prefix = prefix
        self._chunk_records = chunk_records
        # Records wait as JSON text: measured 204 KB per 1,000 records against 796 KB as Python objects.
        self._buffers: list[list[str]] = [[] for _ in range(partitions)]
        self.manifest: list[dict[str, Any]] = [{"partition": p, "chunks": []} for p in range(partitions)]
        self.records = 0

    def add(self, index: int, record: Any, partition: int) -> None:
        buffer = self._buffers[partition]
        buffer.append(json.dumps([index, record], separators=(",", ":"), ensure_ascii=False))
        self.records += 1
        if len(buffer) >= self._chunk_records:
            self._flush(partition)

    def _flush(self, partition: int) -> None:
        buffer = self._buffers[partition]
        if not buffer:
            return
        chunks = self.manifest[partition]["chunks"]
        number = len(chunks)
        key = f"{self._prefix}/p{partition:05d}/c{number:07d}.json"
        self._staging.put_text(key, '{"records":[' + ",".join(buffer) + "]}")
        chunks.append({"key": key, "chunk": number, "records": len(buffer)})
        self._buffers[partition] = []

    def finish(self) -> list[dict[str, Any]]:
        for partition in range(len(self._buffers)):
            self._flush(partition)
        return [entry for entry in self.manifest if entry["chunks"]]


def prepare(
    job: FileJob,
    *,
    staging: Staging,
    audit: AuditLog,
    quarantine: QuarantineQueue,
    chunk_records: int,
    max_partitions: int,
) -> dict[str, Any]:
    prefix = f"{STAGING}/{job.execution}"
    stream, size = staging.open(job.key)
    sales = SalesFile(stream, job.key, size)
    partitions = partitions_for(size, chunk_records, max_partitions)
    chunker = _Chunker(staging, prefix, partitions, chunk_records)
    try:
        for index, record in enumerate(sales.records()):
            order_id, _ = extract_order_id(record)
            chunker.add(index, record, partition_of(order_id, index, partitions))
        manifest = chunker.finish()
        if chunker.records == 0:
            raise FileRejectedError("the file holds no records")
    except FileRejectedError as rejection:
        staging.delete_prefix(prefix + "/")
        return _reject(job, sales.fingerprint, rejection.reason, staging, audit, quarantine)

    file_id = sales.fingerprint
    earlier = audit.append_first(events.claim(fingerprint=file_id, file=job.key, at=job.at, execution=job.execution))
    if earlier is not None and earlier.get("execution") != job.execution:
        staging.delete_prefix(prefix + "/")
        audit.append(
            [
                events.file_event(
                    file_id=file_id,
                    kind=events.FILE_DUPLICATE,
                    at=job.at,
                    file=job.key,
                    duplicate_of=earlier.get("file"),
                    execution=job.execution,
                )
            ]
        )
        return {
            "status": "duplicate",
            "file": job.key,
            "file_id": file_id,
            "duplicate_of": earlier.get("file"),
        }

    manifest_key = f"{prefix}/manifest.json"
    staging.put_json(manifest_key, manifest)
    chunks = sum(len(entry["chunks"]) for entry in manifest)
    audit.append(
        [
            events.file_event(
                file_id=file_id,
                kind=events.FILE_RECEIVED,
                at=job.at,
                file=job.key,
                records=chunker.records,
                chunks=chunks,
                partitions=len(manifest),
                bytes=sales.size,
                execution=job.execution,
            )
        ]
    )
    return {
        "status": "ready",
        "file": job.key,
        "file_id": file_id,
        "records": chunker.records,
        "chunks": chunks,
        "partitions": len(manifest),
        "manifest": {"Bucket": job.bucket, "Key": manifest_key},
    }


def _reject(
    job: FileJob, file_id: str, reason: str, staging: Staging, audit: AuditLog, quarantine: QuarantineQueue
) -> dict[str, Any]:
    kept = f"{QUARANTINED_FILES}/{file_id}/{job.key.rsplit('/', 1)[-1]}"
    staging.copy(job.key, kept)
    reasons = [{"field": "$file", "rule": "file_rejected", "message": reason}]
    quarantine.send(
        [
            {
                "kind": "file",
                "id": f"file:{file_id}:{job.execution}",
                "file": job.key,
                "file_id": file_id,
                "quarantined_key": kept,
                "reasons": reasons,
                "attempt": 1,
                "at": job.at,
            }
        ]
    )
    audit.append(
        [
            events.file_event(
                file_id=file_id,
                kind=events.FILE_REJECTED,
                at=job.at,
                file=job.key,
                reason=reason,
                quarantined_key=kept,
                execution=job.execution,
            )
        ]
    )
    return {"status": "rejected", "file": job.key, "file_id": file_id, "reason": reason}
