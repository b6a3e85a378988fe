"""Data access: the only package in services/ that talks to AWS (boto3).

Each store takes an optional boto3 client so tests and the embedded engine can inject one.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from services.shared.config import Config
from services.shared.dal.audit_log import AuditLog
from services.shared.dal.executions import Executions
from services.shared.dal.leases import Leases
from services.shared.dal.orders import OrdersTable
from services.shared.dal.quarantine import QuarantineQueue
from services.shared.dal.staging import Staging


@dataclass(frozen=True)
class Stores:
    orders: OrdersTable
    audit: AuditLog
    quarantine: QuarantineQueue
    staging: Staging
    executions: Executions
    leases: Leases


def stores_from(config: Config) -> Stores:
    dynamodb = boto3.client("dynamodb")  # one client for the three tables: each costs cold-start time
    return Stores(
        orders=OrdersTable(config.orders_table, client=dynamodb),
        audit=AuditLog(config.audit_table, client=dynamodb),
        quarantine=QuarantineQueue(config.quarantine_queue_url),
        staging=Staging(config.bucket),
        executions=Executions(),
        leases=Leases(config.leases_table, client=dynamodb),
    )
