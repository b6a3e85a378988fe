"""Helpers of the engine's tests: state machines and their executions."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from salesdq.engine import Engine
from salesdq.engine.provisioning import ROLE_ARN


def start(sfn: Any, machine: str, payload: str) -> str:
    return sfn.start_execution(stateMachineArn=machine, name=str(uuid.uuid4()), input=payload)["executionArn"]


def wait(sfn: Any, arn: str) -> dict[str, Any]:
    for _ in range(600):
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


def pass_machine(engine: Engine, name: str, result: Any) -> str:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}
    arn: str = engine.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    return arn


def retried_machine(engine: Engine, name: str) -> str:
    """A state that fails with Probe and is retried once after IntervalSeconds 1 (as the plain moto script's)."""
    fails = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Probe"}}}
    retry = [{"ErrorEquals": ["Probe"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    definition = {
        "StartAt": "Try",
        "States": {"Try": {"Type": "Parallel", "Branches": [fails], "Retry": retry, "End": True}},
    }
    arn: str = engine.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    return arn


def attempts(sfn: Any, execution: dict[str, Any]) -> int:
    """How many times an execution of retried_machine ran its Parallel state."""
    events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    return sum(event["type"] == "ParallelStateStarted" for event in events)
