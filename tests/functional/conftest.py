"""In-memory AWS (moto) with salesdq's stores provisioned from salesdq.resources, clients injected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from salesdq import resources
from salesdq_engine.provisioning import table_request
from services.dal import Stores
from services.dal.audit_log import AuditLog
from services.dal.contract_store import ContractStore
from services.dal.executions import Executions
from services.dal.inbox_bucket import InboxBucket
from services.dal.leases_table import Leases
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView

REGION = "us-east-1"
BUCKET = resources.INBOX_BUCKET


@dataclass
class Aws:
    s3: Any
    ddb: Any
    sqs: Any
    queue_url: str
    stores: Stores

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for obj in page.get("Contents", []):
                found[obj["Key"]] = self.s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
        return found

    def messages(self) -> list[dict[str, Any]]:
        return [m["body"] for m in self.stores.quarantine.peek()]

    def orders(self) -> dict[str, dict[str, Any]]:
        return {o["OrderId"]: o for o in self.stores.orders.scan()}

    def audit(self) -> list[dict[str, Any]]:
        return list(self.stores.audit.scan())


FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@pytest.fixture(scope="session")
def clients() -> Iterator[tuple[Any, Any, Any, Any]]:
    """boto3 clients are slow to build: one set per session; each test's mock_aws gives them a fresh AWS."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_ENV.items():
            mp.setenv(name, value)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        mp.delenv("AWS_PROFILE", raising=False)
        yield (
            boto3.client("s3", region_name=REGION),
            boto3.client("dynamodb", region_name=REGION),
            boto3.client("sqs", region_name=REGION),
            boto3.client("stepfunctions", region_name=REGION),
        )


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(aws_env: None, clients: tuple[Any, Any, Any, Any]) -> Iterator[Aws]:
    s3, ddb, sqs, sfn = clients
    with mock_aws():
        s3.create_bucket(Bucket=BUCKET)
        for table in resources.TABLES:
            ddb.create_table(**table_request(table))
        url = sqs.create_queue(QueueName=resources.QUARANTINE.name, Attributes=resources.QUARANTINE.attributes)[
            "QueueUrl"
        ]
        stores = Stores(
            orders=OrdersTable(resources.ORDERS.name, client=ddb),
            audit=AuditLog(resources.AUDIT.name, client=ddb),
            quarantine=QuarantineQueue(url, client=sqs),
            inbox=(inbox := InboxBucket(BUCKET, client=s3)),
            executions=Executions(client=sfn),
            leases=Leases(resources.LEASES.name, client=ddb, lease_s=resources.LEASE_SECONDS),
            quarantined=QuarantineView(resources.QUARANTINED.name, client=ddb),
            contracts=ContractStore(inbox),
        )
        yield Aws(s3, ddb, sqs, url, stores)
