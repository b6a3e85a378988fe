"""Step Functions executions: how the execution holding a file's claim ended (Prepare asks), starting one
(the redrive runs its batch through the ingest workflow), and listing and describing them (the CLI follows
the execution an upload started)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_stepfunctions import SFNClient


class ExecutionNotFoundError(ServiceError):
    """Step Functions does not know the execution (it keeps closed executions for 90 days)."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"no such workflow execution: {arn}")  # the message the command line prints as it is
        self.arn = arn


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of execution `name` of a state machine:
    arn:<partition>:states:<region>:<account>:stateMachine:<machine>[:<version or alias>]
    -> arn:<partition>:states:<region>:<account>:execution:<machine>:<name>."""
    parts = state_machine_arn.split(":")
    if len(parts) < 7 or parts[2] != "states" or parts[5] != "stateMachine" or not name:
        raise ValueError(f"not a state machine ARN and execution name: {state_machine_arn!r}, {name!r}")
    return ":".join([*parts[:5], "execution", parts[6], name])  # executions belong to the unqualified machine


class Executions:
    def __init__(self, client: SFNClient | None = None) -> None:
        self._client = client  # built on first use: only Prepare, and only for a claimed file, asks

    def _sfn(self) -> SFNClient:
        if self._client is None:
            self._client = boto3.client("stepfunctions")
        return self._client

    def start(self, state_machine_arn: str, name: str, payload: str) -> str:
        """Start execution `name` and return its ARN; a name already started returns that execution's ARN, so
        a retried start does not start a second one."""
        sfn = self._sfn()
        try:
            return str(sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload)["executionArn"])
        except sfn.exceptions.ExecutionAlreadyExists:
            return execution_arn(state_machine_arn, name)

    def status(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE."""
        return str(self.describe(execution_arn)["status"])

    def describe(self, execution_arn: str) -> dict[str, Any]:
        """DescribeExecution's answer: status, input, output (once succeeded), error and cause, dates."""
        try:
            return dict(self._sfn().describe_execution(executionArn=execution_arn))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                raise ExecutionNotFoundError(execution_arn) from error
            raise

    def arns(self, state_machine_arn: str) -> set[str]:
        """Every execution of the state machine Step Functions still lists (closed ones for 90 days)."""
        found: set[str] = set()
        for page in self._sfn().get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
            found |= {e["executionArn"] for e in page["executions"]}
        return found
