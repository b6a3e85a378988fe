"""Where a deployment is: a boto3 session for a region, a CloudFormation stack's outputs, and, on an endpoint
without CloudFormation (`salesdq local up`), a state machine and a queue found by name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

DEFAULT_REGION = "us-east-1"


class DeploymentLookupError(ServiceError):
    """AWS, or the endpoint AWS_ENDPOINT_URL names, refused or did not answer a lookup."""


@contextmanager
def _lookup() -> Iterator[None]:
    # Callers outside the DAL do not import botocore: its errors cross as one error of ours, with its text.
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise DeploymentLookupError(str(error)) from error


class Deployment:
    """One AWS session: the region asked for, else the standard configuration's, else us-east-1."""

    def __init__(self, region: str | None = None) -> None:
        with _lookup():
            named = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
            session = boto3.session.Session(region_name=named)
            if session.region_name is None:
                session = boto3.session.Session(region_name=DEFAULT_REGION)
        self._session = session

    @property
    def region(self) -> str:
        return str(self._session.region_name)

    # The services salesdq talks to, each to its typed client (the stubs); any other is untyped.
    @overload
    def client(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...
    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["stepfunctions"]) -> SFNClient: ...
    @overload
    def client(self, service: str) -> Any: ...
    def client(self, service: str) -> Any:
        return self._session.client(cast(Any, service))  # Any: the session's overloads are by literal name

    def stack_outputs(self, stack_name: str) -> dict[str, str]:
        with _lookup():
            stacks = self.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    def state_machine_arn(self, name: str) -> str | None:
        with _lookup():
            for page in self.client("stepfunctions").get_paginator("list_state_machines").paginate():
                for machine in page["stateMachines"]:
                    if machine["name"] == name:
                        return str(machine["stateMachineArn"])
        return None

    def queue_url(self, name: str) -> str:
        with _lookup():
            return str(self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def caller_arn(sts: Any) -> str:
    """Who the credentials of `sts` (a client of the stack's session) are: STS GetCallerIdentity's ARN."""
    with _lookup():
        return str(sts.get_caller_identity()["Arn"])
