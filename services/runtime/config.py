"""Environment configuration, read and validated once at cold start.

The names here are the contract between the functions, the CDK app and the embedded engine:
`salesdq.resources` builds every function's environment from them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields

from services.errors import ServiceError

BUCKET = "INBOX_BUCKET"
ORDERS_TABLE = "ORDERS_TABLE"
AUDIT_TABLE = "AUDIT_TABLE"
LEASES_TABLE = "LEASES_TABLE"
QUARANTINED_TABLE = "QUARANTINED_TABLE"
QUARANTINE_QUEUE_URL = "QUARANTINE_QUEUE_URL"
CHUNK_RECORDS = "CHUNK_RECORDS"
MAX_PARTITIONS = "MAX_PARTITIONS"
LEASE_SECONDS = "LEASE_SECONDS"
STATE_MACHINE_ARN = "STATE_MACHINE_ARN"

DEFAULT_CHUNK_RECORDS = 1000  # records per chunk: a chunk's Lambda finishes well within its timeout
DEFAULT_MAX_PARTITIONS = 64  # at most one partition per order-id slot (services.domain.slots.SLOTS)


class ConfigError(ServiceError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Config:
    bucket: str
    orders_table: str
    audit_table: str
    quarantine_queue_url: str
    leases_table: str
    quarantined_table: str
    chunk_records: int = DEFAULT_CHUNK_RECORDS
    max_partitions: int = DEFAULT_MAX_PARTITIONS
    state_machine_arn: str = ""  # only the redrive function starts executions
    lease_s: int = 0  # how long a slot lease lives; only validate-chunk, which takes leases, is given it


_ENV_NAMES = {
    "bucket": BUCKET,
    "orders_table": ORDERS_TABLE,
    "audit_table": AUDIT_TABLE,
    "quarantine_queue_url": QUARANTINE_QUEUE_URL,
    "leases_table": LEASES_TABLE,
    "quarantined_table": QUARANTINED_TABLE,
    "chunk_records": CHUNK_RECORDS,
    "max_partitions": MAX_PARTITIONS,
    "state_machine_arn": STATE_MACHINE_ARN,
    "lease_s": LEASE_SECONDS,
}


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Build the Config from the environment; fail fast with every problem named."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    problems: list[str] = []
    for field in fields(Config):
        name = _ENV_NAMES[field.name]
        raw = env.get(name)
        if raw is None or raw == "":
            if field.default is MISSING:
                problems.append(f"{name} is not set")
            continue
        if field.type == "int":
            try:
                number = int(raw)
            except ValueError:
                problems.append(f"{name} must be a whole number, got {raw!r}")
                continue
            if number < 1:
                problems.append(f"{name} must be at least 1, got {number}")
                continue
            values[field.name] = number
        else:
            values[field.name] = raw
    if problems:
        raise ConfigError("; ".join(problems))
    return Config(**values)  # type: ignore[arg-type]
