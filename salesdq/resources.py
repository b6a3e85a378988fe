"""The one definition of salesdq's AWS resources, read by the embedded engine and by the CDK app.

Names here are the embedded engine's physical names and the CDK app's construct ids and stack output
keys; keys, indexes and queue attributes are the same on both, and a test fails if the template drifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.runtime import config

ROOT = Path(__file__).resolve().parent.parent
ASL_DIR = ROOT / "asl"

STACK_NAME = "salesdq"
INCOMING_PREFIX = "incoming/"


def keys_named(name: str) -> tuple[str, ...]:
    """The object keys an operator may mean by a file's name: the key itself, or the name the command line
    shows (its key under incoming/ without the prefix)."""
    return (name, f"{INCOMING_PREFIX}{name}")


INCOMING_SUFFIXES = (".json", ".jsonl")
POWERTOOLS_NAMESPACE = "salesdq"
LOG_LEVEL = "INFO"
CHUNK_RECORDS = config.DEFAULT_CHUNK_RECORDS
MAX_PARTITIONS = config.DEFAULT_MAX_PARTITIONS
LAMBDA_RUNTIME = "python3.12"
LAMBDA_ARCHITECTURE = "arm64"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"


@dataclass(frozen=True)
class TableSpec:
    id: str
    name: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = ()

    @property
    def attributes(self) -> dict[str, str]:
        """Every key attribute and its type (all strings)."""
        names = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            names += [index.partition_key, index.sort_key]
        return dict.fromkeys(names, "S")


@dataclass(frozen=True)
class QueueSpec:
    id: str
    name: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class FunctionSpec:
    id: str
    name: str
    handler: str
    service: str
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int
    environment: tuple[str, ...] = field(default=())  # config names this function needs


@dataclass(frozen=True)
class StateMachineSpec:
    id: str
    name: str
    definition: Path
    # ASL placeholder -> Function id whose ARN replaces it
    functions: dict[str, str]


INBOX_BUCKET_ID = "InboxBucket"
INBOX_BUCKET = "salesdq-inbox"

ORDERS = TableSpec(id="OrdersTable", name="salesdq-orders", partition_key="OrderId")
AUDIT = TableSpec(
    id="AuditTable",
    name="salesdq-audit",
    partition_key="pk",
    sort_key="sk",
    indexes=(IndexSpec(name="by-day", partition_key="day", sort_key="at"),),
)
# Write leases on slots of the order-id space (services/dal/leases_table.py); expire via TTL on expires_at.
LEASES = TableSpec(id="LeasesTable", name="salesdq-leases", partition_key="pk")
# What is quarantined, queryable (SQS cannot list a queue): one item per quarantine id, open until its record is
# redriven or replayed into an outcome (services/dal/quarantine_view.py).
QUARANTINED = TableSpec(id="QuarantinedTable", name="salesdq-quarantined", partition_key="id")
TABLES = (ORDERS, AUDIT, LEASES, QUARANTINED)

QUARANTINE = QueueSpec(
    id="QuarantineQueue",
    name="salesdq-quarantine",
    attributes={
        "MessageRetentionPeriod": str(14 * 24 * 3600),
        "VisibilityTimeout": "120",
        "MaximumMessageSize": str(256 * 1024),
    },
)

_STORES = (
    config.BUCKET,
    config.ORDERS_TABLE,
    config.AUDIT_TABLE,
    config.QUARANTINE_QUEUE_URL,
    config.LEASES_TABLE,
    config.QUARANTINED_TABLE,
)
_CHUNKING = (config.CHUNK_RECORDS, config.MAX_PARTITIONS)

PREPARE = FunctionSpec(
    id="PrepareFunction",
    name="salesdq-prepare",
    handler="services.ingest.handlers.prepare.handler",
    service="ingest",
    memory_mb=1024,
    timeout_s=900,
    reserved_concurrency=10,
    environment=_STORES + _CHUNKING,
)
VALIDATE_CHUNK = FunctionSpec(
    id="ValidateChunkFunction",
    name="salesdq-validate-chunk",
    handler="services.validator.handlers.validate_chunk.handler",
    service="validator",
    memory_mb=512,
    timeout_s=300,
    reserved_concurrency=50,
    environment=(*_STORES, config.LEASE_SECONDS),
)
# A slot lease (services/dal/leases_table.py) lives the timeout of validate-chunk, which takes them, plus a margin
# for the whole seconds expires_at is kept in and the clocks of two Lambda hosts: Lambda has stopped its holder by
# then, and a dead holder's slots are free LEASE_MARGIN_S after its function would have been killed.
LEASE_MARGIN_S = 30
LEASE_SECONDS = VALIDATE_CHUNK.timeout_s + LEASE_MARGIN_S
CHUNK_FAILED = FunctionSpec(
    id="ChunkFailedFunction",
    name="salesdq-chunk-failed",
    handler="services.ingest.handlers.chunk_failed.handler",
    service="ingest",
    memory_mb=256,
    timeout_s=60,
    reserved_concurrency=10,
    environment=_STORES,
)
RUN_FAILED = FunctionSpec(
    id="RunFailedFunction",
    name="salesdq-run-failed",
    handler="services.ingest.handlers.run_failed.handler",
    service="ingest",
    memory_mb=256,
    timeout_s=60,
    reserved_concurrency=10,
    environment=_STORES,
)
FINALIZE = FunctionSpec(
    id="FinalizeFunction",
    name="salesdq-finalize",
    handler="services.ingest.handlers.finalize.handler",
    service="ingest",
    memory_mb=256,
    timeout_s=300,
    reserved_concurrency=10,
    environment=_STORES,
)
SWEEP = FunctionSpec(
    id="SweepFunction",
    name="salesdq-sweep-quarantine",
    handler="services.redrive.handlers.sweep.handler",
    service="redrive",
    memory_mb=512,
    timeout_s=900,  # the sweep holds the queue for as long as it reads it (QuarantineQueue.HOLD_S)
    reserved_concurrency=1,  # one sweep at a time: a second would see every message hidden by the first
    environment=_STORES,
)
FUNCTIONS = (PREPARE, VALIDATE_CHUNK, CHUNK_FAILED, FINALIZE, RUN_FAILED, SWEEP)  # the workflow's: ASL substitutions

# Operators' redrive: starts the ingest state machine, so it is created after it.
REDRIVE = FunctionSpec(
    id="RedriveFunction",
    name="salesdq-redrive",
    handler="services.redrive.handlers.redrive.handler",
    service="redrive",
    memory_mb=512,
    timeout_s=300,
    reserved_concurrency=2,
    environment=(*_STORES, config.STATE_MACHINE_ARN),
)
ALL_FUNCTIONS = (*FUNCTIONS, REDRIVE)


def function_environment(spec: FunctionSpec, values: Mapping[str, str]) -> dict[str, str]:
    """A function's environment variables: the config names it lists, plus Powertools' settings. The engine and
    the CDK app both deploy exactly this."""
    return {
        **{name: values[name] for name in spec.environment},
        "POWERTOOLS_SERVICE_NAME": spec.service,
        "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
    }


INGEST = StateMachineSpec(
    id="IngestStateMachine",
    name="salesdq-ingest",
    definition=ASL_DIR / "ingest.asl.json",
    functions={
        "PrepareFunctionArn": PREPARE.id,
        "ValidateChunkFunctionArn": VALIDATE_CHUNK.id,
        "ChunkFailedFunctionArn": CHUNK_FAILED.id,
        "RunFailedFunctionArn": RUN_FAILED.id,
        "SweepFunctionArn": SWEEP.id,
        "FinalizeFunctionArn": FINALIZE.id,
    },
)

INGEST_RULE_ID = "IngestRule"
INGEST_RULE = "salesdq-ingest-on-upload"


def ingest_event_pattern(bucket_name: str) -> dict[str, object]:
    """S3 'Object Created' under incoming/ for .json and .jsonl: the rule that starts the workflow."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [bucket_name]},
            "object": {"key": [{"wildcard": f"{INCOMING_PREFIX}*{suffix}"} for suffix in INCOMING_SUFFIXES]},
        },
    }


# Stack output keys: the operator commands find the deployed resources by these.
@dataclass(frozen=True)
class StackNames:
    """One stack's resources by name, as provisioning made them or a deployed stack's outputs give them."""

    bucket: str
    orders_table: str
    audit_table: str
    quarantine_queue_url: str
    state_machine_arn: str
    redrive_function: str
    quarantined_table: str


OUTPUT_BUCKET = "InboxBucketName"
OUTPUT_ORDERS_TABLE = "OrdersTableName"
OUTPUT_AUDIT_TABLE = "AuditTableName"
OUTPUT_QUARANTINE_QUEUE_URL = "QuarantineQueueUrl"
OUTPUT_STATE_MACHINE_ARN = "IngestStateMachineArn"
OUTPUT_REDRIVE_FUNCTION = "RedriveFunctionName"
OUTPUT_QUARANTINED_TABLE = "QuarantinedTableName"
