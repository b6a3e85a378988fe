"""`audit verify` and `audit rebuild` over the log of N records, on the embedded engine:
python -m bench.audit_verify --records 100000.

The log and the stores are written by the validator's own code, without the workflow around it (N records
through Step Functions take many minutes; what verify reads is what the validator leaves): the bench
generator's records (scripts/make_sales_file.py, 10% incomplete) in chunks of --chunk-records, each chunk
through services.validator.store_orders.store_chunk (the orders), services.validator.quarantine.quarantine (the
quarantine queue and the quarantine view) and services.audit.outcomes.append_outcomes (every record's event, the
marker).

Then verify and rebuild, timed and metered (read units as the engine meters them: the response's bytes in 4 KB
units, halved for eventually consistent reads), and the record events' sizes (DynamoDB's item size: names plus
values): a record event of ordinary size stays under 1 KB, one write unit. Writes bench/results/audit-verify-<N>.json
(replay-verify-<N>.json before the commands were named `audit`).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.run import RESULTS, write_result
from salesdq import resources
from salesdq.local.run import stack_of
from salesdq.operators import audit
from salesdq_engine import Engine
from salesdq_engine.metering import PRICE_READ_UNIT, item_size
from scripts.make_sales_file import records as generated
from services.audit.outcomes import append_outcomes
from services.contract import default
from services.dal._dynamo import to_item
from services.dal.leases_table import Leases
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.quarantine import quarantine
from services.validator.store_orders import store_chunk

FILE_ID = "b" * 64
AT = "2026-12-01T00:00:00.000000Z"


def populate(engine: Engine, records: int, chunk_records: int) -> None:
    stack = stack_of(engine)
    orders, audit, queue, inbox, view = (
        stack.orders(),
        stack.audit(),
        stack.quarantine(),
        stack.inbox(),
        stack.quarantined(),
    )
    leases = Leases(resources.LEASES.name, stack.client("dynamodb"), lease_s=resources.LEASE_SECONDS)
    source = generated(records, incomplete=0.1, seed=7, mock=False)
    for chunk in range(0, records, chunk_records):
        entries = [[index, record] for index, record in enumerate(islice(source, chunk_records), start=chunk)]
        run = Run(file_id=FILE_ID, file="incoming/bench.json", id=AT, execution="bench")
        job = ChunkJob(run=run, partition=0, chunk=chunk // chunk_records, key=f"staging/{chunk}")
        outcomes = store_chunk(entries, job, orders, leases, default())
        messages = quarantine(job, outcomes, {}, queue, inbox, view, {})
        append_outcomes(job, outcomes, {}, messages, audit, inbox)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--chunk-records", type=int, default=resources.CHUNK_RECORDS)
    args = parser.parse_args(argv)
    with Engine() as engine:
        started = time.perf_counter()
        populate(engine, args.records, args.chunk_records)
        populated_s = time.perf_counter() - started
        stack = stack_of(engine)
        sizes = [item_size(to_item(e)) for e in stack.audit().scan() if str(e.get("event", "")).startswith("record.")]
        reads = engine.usage.snapshot().dynamodb_read_units
        started = time.perf_counter()
        found = audit.verify(stack)
        verify_s = time.perf_counter() - started
        verify_units = engine.usage.snapshot().dynamodb_read_units - reads
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            written = audit.rebuild(stack, Path(out))
            rebuild_s = time.perf_counter() - started
        events = len(sizes) + -(-args.records // args.chunk_records)  # record events and chunk markers
    assert not found.drift, found.as_dict()
    result: dict[str, Any] = {
        "command": f"python -m bench.audit_verify --records {args.records}",
        "records": args.records,
        "events": events,
        "orders": found.orders.expected,
        "quarantined": found.quarantine.expected,
        "populate_s": round(populated_s, 1),
        "verify_s": round(verify_s, 2),
        "verify_events_per_s": round(events / verify_s),
        "rebuild_s": round(rebuild_s, 2),
        "rebuilt": written,
        "verify_read_units": round(verify_units),
        "verify_read_units_per_million_events": round(verify_units * 1_000_000 / events),
        "verify_usd_per_million_events": round(verify_units * 1_000_000 / events * PRICE_READ_UNIT, 4),
        "record_event_bytes": {
            "median": statistics.median(sizes),
            "max": max(sizes),
            "over_1kb": sum(s > 1024 for s in sizes),
        },
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"audit-verify-{args.records}.json"
    write_result(path, result, show=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
