"""Data access: the only code that talks to AWS (boto3), for the Lambda handlers in services/ and the salesdq
command line alike; only the embedded engine, an AWS emulator, builds clients of its own
(tests/unit/test_aws_access.py checks).

Each store takes an optional boto3 client so tests and the embedded engine can inject one.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from services.dal.audit_log import AuditLog
from services.dal.contract_store import ContractStore
from services.dal.executions import Executions
from services.dal.inbox_bucket import InboxBucket
from services.dal.leases_table import Leases
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView
from services.runtime.config import Config


@dataclass(frozen=True)
class Stores:
    orders: OrdersTable
    audit: AuditLog
    quarantine: QuarantineQueue
    inbox: InboxBucket
    executions: Executions
    leases: Leases
    quarantined: QuarantineView
    contracts: ContractStore


def stores_from(config: Config) -> Stores:
    dynamodb = boto3.client("dynamodb")  # one client for every table: each client costs cold-start time
    inbox = InboxBucket(config.bucket)
    return Stores(
        orders=OrdersTable(config.orders_table, client=dynamodb),
        audit=AuditLog(config.audit_table, client=dynamodb),
        quarantine=QuarantineQueue(config.quarantine_queue_url),
        inbox=inbox,
        executions=Executions(),
        leases=Leases(config.leases_table, client=dynamodb, lease_s=config.lease_s),
        quarantined=QuarantineView(config.quarantined_table, client=dynamodb),
        contracts=ContractStore(inbox),
    )
