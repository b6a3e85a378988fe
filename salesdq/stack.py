"""Find salesdq's resources wherever the standard AWS configuration points: a deployed stack's outputs,
or the embedded engine's names when AWS_ENDPOINT_URL points at `salesdq local up`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from salesdq import resources


class StackNotFoundError(Exception):
    """No salesdq stack is reachable with the current AWS configuration."""


@dataclass(frozen=True)
class Stack:
    bucket: str
    orders_table: str
    audit_table: str
    queue_url: str
    state_machine_arn: str
    redrive_function: str
    session: Any

    def client(self, service: str) -> Any:
        return self.session.client(service)


def locate(stack_name: str | None = None, region: str | None = None) -> Stack:
    session = boto3.session.Session(
        region_name=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    )
    if session.region_name is None:
        session = boto3.session.Session(region_name="us-east-1")
    try:
        if stack_name is None and os.environ.get("AWS_ENDPOINT_URL"):
            return _local(session)
        return _deployed(session, stack_name or resources.STACK_NAME)
    except (BotoCoreError, ClientError) as error:
        where = os.environ.get("AWS_ENDPOINT_URL") or f"stack {stack_name or resources.STACK_NAME}"
        raise StackNotFoundError(
            f"no salesdq stack reachable at {where}: {error}. Start one with `salesdq local up` and set "
            "AWS_ENDPOINT_URL, or deploy with `npx cdk deploy` and pass --stack NAME"
        ) from error


def _local(session: Any) -> Stack:
    sfn = session.client("stepfunctions")
    machines = [
        m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == resources.INGEST.name
    ]
    if not machines:
        raise StackNotFoundError(f"{os.environ.get('AWS_ENDPOINT_URL')} has no {resources.INGEST.name} state machine")
    return Stack(
        bucket=resources.INBOX_BUCKET,
        orders_table=resources.ORDERS.name,
        audit_table=resources.AUDIT.name,
        queue_url=session.client("sqs").get_queue_url(QueueName=resources.QUARANTINE.name)["QueueUrl"],
        state_machine_arn=machines[0],
        redrive_function=resources.REDRIVE.name,
        session=session,
    )


def _deployed(session: Any, name: str) -> Stack:
    stacks = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    keys = (
        resources.OUTPUT_BUCKET,
        resources.OUTPUT_ORDERS_TABLE,
        resources.OUTPUT_AUDIT_TABLE,
        resources.OUTPUT_QUARANTINE_QUEUE_URL,
        resources.OUTPUT_STATE_MACHINE_ARN,
        resources.OUTPUT_REDRIVE_FUNCTION,
    )
    missing = [k for k in keys if k not in outputs]
    if missing:
        raise StackNotFoundError(f"stack {name} lacks the outputs {', '.join(missing)}: is it a salesdq stack?")
    bucket, orders, audit, queue, machine, redrive = (outputs[k] for k in keys)
    return Stack(bucket, orders, audit, queue, machine, redrive, session)
