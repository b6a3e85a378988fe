"""Run the brief's design on salesdq's embedded engine and print one JSON summary.

python -m bench.brief_design.run --file FILE --records 2000 [--batch 500] [--concurrency 1]

The brief's design cannot take a large file in one execution (Load's output is the whole file: past
256 KiB the next state fails with States.DataLimitExceeded, on AWS as on the engine, and a Standard
execution stops at 25,000 history events), so the records are uploaded as files of at most --batch
records, one execution each, as a user of that design would have to.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from salesdq_engine import Engine, metering
from salesdq_engine.provisioning import ROLE_ARN, create_function

HERE = Path(__file__).resolve().parent
ASL = HERE / "brief.asl.json"
BUCKET = "brief-inbox"
ORDERS_TABLE = "brief-orders"
DLQ = "brief-dlq"
PAYLOAD_LIMIT = 256 * 1024

# The brief's console-made functions: Lambda's defaults of 128 MB and no reserved concurrency (the Map runs 40 at
# most); the handlers read no environment.
FUNCTIONS = {
    "LoadFunctionArn": ("brief-load", "bench.brief_design.handlers.load"),
    "ValidateFunctionArn": ("brief-validate", "bench.brief_design.handlers.validate"),
}


def batches(path: Path, records: int, size: int) -> Iterator[list[Any]]:
    with path.open("rb") as handle:
        items = ijson.items(handle, "orders.item", use_float=True)
        limited = itertools.islice(items, records)
        while batch := list(itertools.islice(limited, size)):
            yield batch


def provision(engine: Engine) -> dict[str, str]:
    s3, ddb, sqs = engine.client("s3"), engine.client("dynamodb"), engine.client("sqs")
    s3.create_bucket(Bucket=BUCKET)
    ddb.create_table(
        TableName=ORDERS_TABLE,
        KeySchema=[{"AttributeName": "OrderId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "OrderId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
    lam = engine.client("lambda")
    arns = {
        placeholder: create_function(lam, name=name, handler=handler, memory_mb=128, timeout_s=60, environment={})
        for placeholder, (name, handler) in FUNCTIONS.items()
    }
    text = ASL.read_text(encoding="utf-8")
    for placeholder, value in {**arns, "OrdersTable": ORDERS_TABLE, "DlqUrl": dlq}.items():
        text = text.replace("${" + placeholder + "}", value)
    machine: str = engine.client("stepfunctions").create_state_machine(
        name="brief-design", definition=text, roleArn=ROLE_ARN
    )["stateMachineArn"]
    return {"machine": machine, "dlq": dlq}


def run(path: Path, records: int, batch: int, concurrency: int) -> dict[str, Any]:
    with Engine() as engine:
        names = provision(engine)
        s3, sfn, sqs, ddb = (engine.client(s) for s in ("s3", "stepfunctions", "sqs", "dynamodb"))
        keys: list[tuple[str, int, int]] = []
        for number, chunk in enumerate(batches(path, records, batch)):
            body = json.dumps({"orders": chunk}).encode("utf-8")
            key = f"incoming/batch-{number:05d}.json"
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            keys.append((key, len(chunk), len(body)))
        total = sum(n for _, n, _ in keys)
        before = engine.usage.snapshot()
        started = time.perf_counter()
        pending = list(keys)
        running: dict[str, str] = {}
        statuses: dict[str, int] = {}
        failures: list[str] = []
        while pending or running:
            while pending and len(running) < concurrency:
                key, _, _ = pending.pop(0)
                arn = sfn.start_execution(
                    stateMachineArn=names["machine"],
                    name=key.rsplit("/", 1)[-1].removesuffix(".json"),
                    input=json.dumps({"bucket": BUCKET, "key": key}),
                )["executionArn"]
                running[arn] = key
            time.sleep(0.05)
            for arn in list(running):
                description = sfn.describe_execution(executionArn=arn)
                if description["status"] != "RUNNING":
                    statuses[description["status"]] = statuses.get(description["status"], 0) + 1
                    if description["status"] != "SUCCEEDED":
                        failures.append(f"{running[arn]}: {description.get('error')}: {description.get('cause')}"[:300])
                    del running[arn]
        elapsed = time.perf_counter() - started
        usage = engine.usage.snapshot().minus(before)
        stored = sum(
            page["Count"] for page in ddb.get_paginator("scan").paginate(TableName=ORDERS_TABLE, Select="COUNT")
        )
        quarantined = int(
            sqs.get_queue_attributes(QueueUrl=names["dlq"], AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
    return {
        "design": "brief",
        "records": total,
        "executions": len(keys),
        "batch_records": batch,
        "largest_batch_bytes": max(b for _, _, b in keys),
        "payload_limit_bytes": PAYLOAD_LIMIT,
        "concurrency": concurrency,
        "statuses": statuses,
        "failures": failures[:5],
        "stored": stored,
        "quarantined": quarantined,
        "elapsed_s": round(elapsed, 3),
        "records_per_s": round(total / elapsed, 2) if elapsed else 0.0,
        "transitions_per_record": round(usage.state_transitions / total, 3) if total else 0.0,
        "usage": usage.report(total),
        "prices": {"transition": metering.PRICE_TRANSITION},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, required=True, help="a sales file ({'orders': [...]})")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500, help="records per execution (each input < 256 KiB)")
    parser.add_argument("--concurrency", type=int, default=1, help="executions running at once")
    args = parser.parse_args(argv)
    summary = run(args.file, args.records, args.batch, args.concurrency)
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["statuses"].get("SUCCEEDED", 0) == summary["executions"] else 1


if __name__ == "__main__":
    sys.exit(main())
