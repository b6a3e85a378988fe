"""Find salesdq's resources wherever the standard AWS configuration points: a deployed stack's outputs, or the
embedded engine's names when AWS_ENDPOINT_URL points at `salesdq local up`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from salesdq import resources
from salesdq.errors import StackNotFoundError
from services.dal.audit_log import AuditLog
from services.dal.contract_store import ContractStore
from services.dal.deployment import Deployment, DeploymentLookupError
from services.dal.executions import Executions
from services.dal.inbox_bucket import InboxBucket
from services.dal.lambda_function import LambdaFunction
from services.dal.orders_table import OrdersTable
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView


@dataclass(frozen=True)
class StackRef(resources.StackNames):
    """One salesdq stack, deployed or embedded: its resources' names, and how to reach them.

    `connect(service)` builds a client for the stack's account and region (an opaque object: only the data
    access layer in services/dal calls it); the methods below hand out the stores built on those clients.
    """

    connect: Callable[[str], Any]

    @classmethod
    def of(cls, names: resources.StackNames, connect: Callable[[str], Any]) -> StackRef:
        """The stack of these names, reached through `connect` (the embedded engine's: `salesdq.local.run`)."""
        return cls(**vars(names), connect=connect)

    def client(self, service: str) -> Any:
        return self.connect(service)

    def inbox(self) -> InboxBucket:
        return InboxBucket(self.bucket, self.client("s3"))

    def contracts(self) -> ContractStore:
        return ContractStore(self.inbox())

    def orders(self) -> OrdersTable:
        return OrdersTable(self.orders_table, self.client("dynamodb"))

    def audit(self) -> AuditLog:
        return AuditLog(self.audit_table, self.client("dynamodb"))

    def quarantine(self) -> QuarantineQueue:
        return QuarantineQueue(self.quarantine_queue_url, self.client("sqs"))

    def quarantined(self) -> QuarantineView:
        return QuarantineView(self.quarantined_table, self.client("dynamodb"))

    def executions(self) -> Executions:
        return Executions(self.client("stepfunctions"))

    def redrive(self) -> LambdaFunction:
        return LambdaFunction(self.redrive_function, self.client("lambda"))


def locate(stack_name: str | None = None, region: str | None = None) -> StackRef:
    """The stack `stack_name` (default `salesdq`), or with no name and AWS_ENDPOINT_URL set, `salesdq local up`."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    where = endpoint or f"stack {stack_name or resources.STACK_NAME}"  # with an endpoint set, every call goes there
    try:
        deployment = Deployment(region)
        if stack_name is None and endpoint:
            return _local(deployment, endpoint)
        return _deployed(deployment, stack_name or resources.STACK_NAME)
    except DeploymentLookupError as error:
        raise StackNotFoundError(
            f"no salesdq stack reachable at {where}: {error}. Start one with `salesdq local up` and set "
            "AWS_ENDPOINT_URL, or deploy with `npx cdk deploy` and pass --stack NAME"
        ) from error


def _local(deployment: Deployment, endpoint: str) -> StackRef:
    machine = deployment.state_machine_arn(resources.INGEST.name)
    if machine is None:
        raise StackNotFoundError(f"{endpoint} has no {resources.INGEST.name} state machine")
    return StackRef(
        bucket=resources.INBOX_BUCKET,
        orders_table=resources.ORDERS.name,
        audit_table=resources.AUDIT.name,
        quarantine_queue_url=deployment.queue_url(resources.QUARANTINE.name),
        state_machine_arn=machine,
        redrive_function=resources.REDRIVE.name,
        quarantined_table=resources.QUARANTINED.name,
        connect=deployment.client,
    )


def _deployed(deployment: Deployment, name: str) -> StackRef:
    outputs = deployment.stack_outputs(name)
    keys = (
        resources.OUTPUT_BUCKET,
        resources.OUTPUT_ORDERS_TABLE,
        resources.OUTPUT_AUDIT_TABLE,
        resources.OUTPUT_QUARANTINE_QUEUE_URL,
        resources.OUTPUT_STATE_MACHINE_ARN,
        resources.OUTPUT_REDRIVE_FUNCTION,
        resources.OUTPUT_QUARANTINED_TABLE,
    )
    missing = [k for k in keys if k not in outputs]
    if missing:
        raise StackNotFoundError(f"stack {name} lacks the outputs {', '.join(missing)}: is it a salesdq stack?")
    bucket, orders, audit, queue, machine, redrive, quarantined = (outputs[k] for k in keys)
    return StackRef(bucket, orders, audit, queue, machine, redrive, quarantined, connect=deployment.client)
