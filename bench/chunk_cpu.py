"""CPU per record of one validate-chunk, on the embedded engine: python -m bench.chunk_cpu [--chunks 20].

Runs routing.process_chunk in this process on chunks of a generated file (10% incomplete, the bench's
seed), against the engine's moto backends, and reports the thread CPU per record: the chunk Lambda's share
of a run, without Step Functions, the other Lambdas or thread scheduling. With --profile, the top functions
by own CPU. Use it to compare a change to the chunk path; records/s of a whole run is bench.run's job.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from bench.run import generate
from salesdq import resources
from salesdq_engine import Engine
from services.dal import Stores
from services.dal.audit_log import AuditLog
from services.dal.contract_store import ContractStore
from services.dal.executions import Executions
from services.dal.inbox_bucket import InboxBucket
from services.dal.leases_table import Leases
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.validate_chunk import validate_chunk


def _records(count: int) -> list[Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = generate(count, Path(directory))  # the benchmark's own file: same generator, seed and share
        return list(json.loads(path.read_text(encoding="utf-8"))["orders"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print the top functions by own CPU")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)

    size = resources.CHUNK_RECORDS
    records = _records(size * args.chunks)
    with Engine() as engine:
        assert engine.stack is not None
        names = engine.stack
        dynamodb = boto3.client("dynamodb")
        stores = Stores(
            orders=OrdersTable(names.orders_table, dynamodb),
            audit=AuditLog(names.audit_table, dynamodb),
            quarantine=QuarantineQueue(names.quarantine_queue_url, boto3.client("sqs")),
            inbox=(inbox := InboxBucket(names.bucket, boto3.client("s3"))),
            executions=Executions(),
            leases=Leases(resources.LEASES.name, dynamodb, lease_s=resources.LEASE_SECONDS),
            quarantined=QuarantineView(names.quarantined_table, dynamodb),
            contracts=ContractStore(inbox),
        )
        per_record_ms: list[float] = []
        outcomes: Counter[str] = Counter()
        profile = cProfile.Profile(timer=time.thread_time)
        for chunk in range(args.chunks):
            key = f"bench/chunk-{chunk}.json"
            start = chunk * size
            stores.inbox.put_json(
                key, {"records": [[start + i, r] for i, r in enumerate(records[start : start + size])]}
            )
            run = Run(file_id="bench", file="bench.json", id="2026-01-01T00:00:00Z", execution="bench")
            job = ChunkJob(run=run, partition=chunk, chunk=0, key=key)
            if args.profile:
                profile.enable()
            began = time.thread_time()
            outcomes.update(validate_chunk(job, stores))
            per_record_ms.append((time.thread_time() - began) * 1000 / size)
            if args.profile:
                profile.disable()
    result = {
        "chunks": args.chunks,
        "records_per_chunk": size,
        "outcomes": dict(outcomes),
        # The mean is the one to compare: a full garbage collection lands on some chunks and not others.
        "cpu_ms_per_record": round(statistics.mean(per_record_ms), 3),
        "cpu_ms_per_record_median": round(statistics.median(per_record_ms), 3),
        "cpu_ms_per_record_by_chunk": [round(v, 3) for v in per_record_ms],
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if args.profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
