"""The Prepare Lambda's own memory on one file: python -m bench.prepare_memory --file FILE.

The engine runs every Lambda in one process and moto keeps every S3 object in that process, so the
engine's RSS grows with the file whatever Prepare does. This runs `services.ingest.prepare.prepare`
alone, as its Lambda would: the file is read as a stream (as from S3's GetObject body), each chunk is
sent through InboxBucket exactly as Prepare sends it and then dropped (on AWS it leaves the process for S3), and
the audit log and quarantine queue are moto's. tracemalloc's peak is the Python heap Prepare needed.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from salesdq import resources
from salesdq_engine.provisioning import table_request
from services.contract.published import Contracts
from services.dal.audit_log import AuditLog
from services.dal.contract_store import ContractStore
from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView
from services.domain.payloads import FileJob
from services.domain.run import Run
from services.ingest.prepare import prepare

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class DiscardingS3:
    """The S3 client Prepare's InboxBucket sees: GetObject streams a local file; PutObject bodies are counted
    and dropped (on AWS they leave the process); nothing else exists."""

    exceptions = SimpleNamespace(ClientError=ClientError)

    def __init__(self, path: Path) -> None:
        self.path = path
        self.puts = 0
        self.bytes_out = 0
        self.largest_put = 0

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": self.path.open("rb"), "ContentLength": self.path.stat().st_size}

    def put_object(self, *, Body: bytes, **_: Any) -> dict[str, Any]:
        self.puts += 1
        self.bytes_out += len(Body)
        self.largest_put = max(self.largest_put, len(Body))
        return {}

    def head_object(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")

    def copy_object(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_paginator(self, _: str) -> Any:
        return SimpleNamespace(paginate=lambda **__: iter([{"Contents": []}]))

    def delete_objects(self, **_: Any) -> dict[str, Any]:
        return {}


def measure(path: Path, chunk_records: int, max_partitions: int) -> dict[str, Any]:
    with mock_aws():
        region = "us-east-1"
        ddb = boto3.client("dynamodb", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        ddb.create_table(**table_request(resources.AUDIT))
        ddb.create_table(**table_request(resources.QUARANTINED))
        queue_url = sqs.create_queue(QueueName="bench-quarantine")["QueueUrl"]
        s3 = DiscardingS3(path)
        inbox = InboxBucket("bench", client=cast("S3Client", s3))  # answers the one call Prepare makes
        audit = AuditLog(resources.AUDIT.name, ddb)
        quarantine = QuarantineQueue(queue_url, sqs)
        key = f"incoming/{path.name}"
        run = Run(file=key, id="2026-01-01T00:00:00Z", execution="bench")
        job = FileJob(bucket="bench", key=key, size=0, run=run, state_machine="")
        rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        result = prepare(
            job,
            inbox=inbox,
            audit=audit,
            quarantine=quarantine,
            quarantined=QuarantineView(resources.QUARANTINED.name, ddb),
            chunk_records=chunk_records,
            max_partitions=max_partitions,
            contracts=Contracts(ContractStore(inbox)),
        )
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "file": str(path),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "records": result.get("records"),
        "status": result.get("status"),
        "partitions": result.get("partitions"),
        "chunks": result.get("chunks"),
        "largest_chunk_kb": round(s3.largest_put / 1024, 1),
        "tracemalloc_peak_mb": round(peak / 1e6, 1),
        "peak_rss_mb": round(rss_after_kb / 1024, 1),
        "rss_growth_mb": round((rss_after_kb - rss_before_kb) / 1024, 1),
        "elapsed_s": round(elapsed, 2),
        "note": "elapsed is under tracemalloc, which slows Python several-fold",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--chunk-records", type=int, default=resources.CHUNK_RECORDS)
    parser.add_argument("--max-partitions", type=int, default=resources.MAX_PARTITIONS)
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(measure(args.file, args.chunk_records, args.max_partitions), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
