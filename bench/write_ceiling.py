"""What each way of writing orders costs on the embedded engine: python -m bench.write_ceiling [--records 2000].

On the engine every AWS request is emulated in the one Python process, so a design's speed is bounded by
the CPU its requests cost. This measures, on the engine's own tables and metering, the CPU per stored
record of four ways to write the orders table, plus the audit event salesdq appends for every record:

- conditional PutItem: what salesdq does (`OrdersTable.put_new`), the one way that is both conflict-safe
  ("the stored order is never overwritten") and priced at one write unit;
- PutItem: what the brief's design does, one unconditional request per record;
- BatchWriteItem, 25 items a request: cheap per item, but it takes no conditions, so a later file or a
  retried chunk could overwrite a stored order;
- TransactWriteItems, 100 items a request, each conditional: conflict-safe and batched, at two write units
  per item;
- a lease per chunk, BatchGetItem (which keys exist, strongly consistent), BatchWriteItem of the new ones:
  option 3 of docs/performance.md, conflict-safe only if every writer takes the lease (not built).

For each it reports ms of CPU per record (the thread's own CPU time, so another process on another core does
not count), the records/s that write alone allows (nothing else done), write units and DynamoDB $ per
million records, and the most a salesdq run could be faster than the brief's design if nothing but that
write and the audit event cost anything: the brief's design's CPU per record, measured first in the same
run (bench/brief_design through bench.run's runner, on the benchmark's seeded file), divided by this
per-record floor. Writes bench/results/write-ceiling.json.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from bench import run as bench_run
from salesdq import resources
from salesdq_engine import Engine, metering
from salesdq_engine.provisioning import table_request
from scripts.make_sales_file import records as generate
from services.dal._dynamo import to_item
from services.dal.audit_log import AuditLog
from services.dal.orders_table import KEY, OrdersTable
from services.domain import audit_events, contract
from services.domain.outcomes import Outcome
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.store_orders import order_item

SEED = 42
JOB = ChunkJob(
    run=Run(
        file_id="write-ceiling",
        file="incoming/write-ceiling.json",
        id="2026-01-01T00:00:00Z",
        execution="write-ceiling",
    ),
    partition=0,
    chunk=0,
    key="-",
)
NOT_STORED = {"ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": {"#k": KEY}}
ONLY_THE_KEY = {"ProjectionExpression": "#k", "ExpressionAttributeNames": {"#k": KEY}}


def complete_items(count: int) -> list[dict[str, Any]]:
    """Orders-table items exactly as salesdq builds them, from the benchmark's generator."""
    items = []
    for index, raw in enumerate(generate(count, incomplete=0.0, seed=SEED, mock=False)):
        verdict = contract.check(raw)
        assert verdict.record is not None and verdict.order_id is not None
        items.append(order_item(verdict.record, verdict.order_id, JOB, index))
    return items


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def strategies(client: Any) -> dict[str, tuple[bool, Callable[[str, list[dict[str, Any]]], None]]]:
    """name -> (conflict-safe?, write every item into the named table)."""

    def conditional_put(table: str, items: list[dict[str, Any]]) -> None:
        orders = OrdersTable(table, client=client)
        for item in items:
            assert orders.put_new(item).created

    def put(table: str, items: list[dict[str, Any]]) -> None:
        for item in items:
            client.put_item(TableName=table, Item=to_item(item))

    def batch_write(table: str, items: list[dict[str, Any]]) -> None:
        for batch in batches(items, 25):
            requests = [{"PutRequest": {"Item": to_item(item)}} for item in batch]
            assert not client.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems")

    def transact(table: str, items: list[dict[str, Any]]) -> None:
        for batch in batches(items, 100):
            client.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": to_item(item), **NOT_STORED}} for item in batch]
            )

    def leased_read_then_batch_write(table: str, items: list[dict[str, Any]]) -> None:
        lease = {"pk": {"S": f"LEASE#{table}"}, "sk": {"S": "LEASE"}}
        for chunk in batches(items, 1000):  # one lease a chunk, taken and given back
            client.put_item(TableName=resources.AUDIT.name, Item=lease, ConditionExpression="attribute_not_exists(pk)")
            for batch in batches(chunk, 100):
                keys = [{KEY: {"S": item[KEY]}} for item in batch]
                found = client.batch_get_item(
                    RequestItems={table: {"Keys": keys, "ConsistentRead": True, **ONLY_THE_KEY}}
                )["Responses"][table]
                stored = {item[KEY]["S"] for item in found}
                batch_write(table, [item for item in batch if item[KEY] not in stored])
            client.delete_item(TableName=resources.AUDIT.name, Key=lease)

    return {
        "conditional PutItem (salesdq)": (True, conditional_put),
        "PutItem (the brief's design)": (False, put),
        "BatchWriteItem x25": (False, batch_write),
        "TransactWriteItems x100": (True, transact),
        "lease + BatchGetItem + BatchWriteItem": (True, leased_read_then_batch_write),
    }


def measure(engine: Engine, count: int, write: Callable[[], None]) -> dict[str, float]:
    before = engine.usage.snapshot()
    started = time.thread_time()
    write()
    cpu_ms = (time.thread_time() - started) * 1000 / count
    used = engine.usage.minus(before)
    writes, reads = used.dynamodb_write_units / count, used.dynamodb_read_units / count
    usd = writes * metering.PRICE_WRITE_UNIT + reads * metering.PRICE_READ_UNIT
    return {
        "cpu_ms_per_record": round(cpu_ms, 3),
        "records_per_s_alone": round(1000 / cpu_ms, 1),
        "write_units_per_record": round(writes, 3),
        "read_units_per_record": round(reads, 3),
        "dynamodb_usd_per_million": round(usd * 1_000_000, 3),
    }


def brief_cpu_ms(records: int) -> float:
    """The brief's design on the first `records` records of the benchmark's file: its CPU ms per record."""
    with tempfile.TemporaryDirectory(prefix="salesdq-ceiling-") as temp:
        workdir = Path(temp)
        brief = bench_run.run_brief(bench_run.generate(records, workdir), records, workdir / "brief.stderr")
    if brief["exit_code"] != 0 or brief["records"] != records:
        raise SystemExit(f"the brief's design did not run: {brief}")
    return float(brief["cpu_s"]) * 1000 / records


def run(count: int, brief_records: int) -> dict[str, Any]:
    items = complete_items(count)
    audit_events = [
        audit_events.record_event(run=JOB.run, index=index, outcome=Outcome.STORED, order_id=item[KEY], reasons=[])
        for index, item in enumerate(items)
    ]
    brief_ms = brief_cpu_ms(brief_records)
    with Engine() as engine:
        client = engine.client("dynamodb")
        audit = AuditLog(resources.AUDIT.name, client=client)
        audit_cost = measure(engine, count, lambda: audit.append(audit_events))
        rows = []
        for number, (name, (safe, write)) in enumerate(strategies(client).items()):
            table = f"{resources.ORDERS.name}-{number}"
            client.create_table(**{**table_request(resources.ORDERS), "TableName": table})
            cost = measure(engine, count, lambda write=write, table=table: write(table, items))  # type: ignore[misc]
            floor_ms = cost["cpu_ms_per_record"] + audit_cost["cpu_ms_per_record"]
            rows.append(
                {
                    "strategy": name,
                    "conflict_safe": safe,
                    **cost,
                    "with_audit_cpu_ms_per_record": round(floor_ms, 3),
                    "with_audit_dynamodb_usd_per_million": round(
                        cost["dynamodb_usd_per_million"] + audit_cost["dynamodb_usd_per_million"], 3
                    ),
                    "max_speedup_vs_brief": round(brief_ms / floor_ms, 1),
                }
            )
    return {
        "command": f"python -m bench.write_ceiling --records {count} --brief-records {brief_records}",
        "commit": bench_run.commit(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "records": count,
        "brief_records": brief_records,
        "brief_cpu_ms_per_record": round(brief_ms, 2),
        "audit_event": audit_cost,
        "strategies": rows,
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"{result['records']} records; the brief's design: {result['brief_cpu_ms_per_record']} ms CPU per record "
        f"({result['brief_records']} records, this run); salesdq's audit event: "
        f"{result['audit_event']['cpu_ms_per_record']} ms",
        f"{'orders write':38} {'safe':>5} {'ms/rec':>7} {'rec/s':>7} {'WU/rec':>7} {'RU/rec':>7} {'+audit ms':>9} "
        f"{'$/M ddb':>8} {'max x':>6}",
    ]
    for row in result["strategies"]:
        lines.append(
            f"{row['strategy']:38} {'yes' if row['conflict_safe'] else 'no':>5} {row['cpu_ms_per_record']:7.3f} "
            f"{row['records_per_s_alone']:7.0f} {row['write_units_per_record']:7.2f} "
            f"{row['read_units_per_record']:7.2f} "
            f"{row['with_audit_cpu_ms_per_record']:9.3f} {row['with_audit_dynamodb_usd_per_million']:8.3f} "
            f"{row['max_speedup_vs_brief']:6.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)  # transactions copy the table: keep it small
    parser.add_argument("--brief-records", type=int, default=2000, help="records through the brief's design")
    parser.add_argument("--json-out", type=Path, default=bench_run.RESULTS / "write-ceiling.json")
    args = parser.parse_args(argv)
    result = run(args.records, args.brief_records)
    bench_run.write_result(args.json_out, result)
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
