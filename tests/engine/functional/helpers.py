"""Helpers of the engine's tests: state machines and their executions."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from salesdq_engine import Engine
from salesdq_engine.provisioning import ROLE_ARN


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


def distributed_map_machine(engine: Engine, name: str, tolerance: dict[str, Any], caught: bool = False) -> str:
    """A Distributed Map over $.items whose STANDARD child fails with Probe for an item {"fail": true} (as the
    plain moto script's), with `tolerance` (ToleratedFailureCount/Percentage) on the Map state; `caught`: a Catch
    of every error leads to a Pass state that keeps it at $.error."""
    child = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "F"}],
                "Default": "P",
            },
            "F": {"Type": "Fail", "Error": "Probe", "Cause": "asked to"},
            "P": {"Type": "Pass", "End": True},
        },
    }
    map_state: dict[str, Any] = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **child},
        "End": True,
        **tolerance,
    }
    states: dict[str, Any] = {"M": map_state}
    if caught:
        map_state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
        states["Caught"] = {"Type": "Pass", "End": True}
    arn: str = engine.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps({"StartAt": "M", "States": states}), roleArn=ROLE_ARN
    )["stateMachineArn"]
    return arn


def items(failing: int, of: int) -> str:
    """The input of distributed_map_machine: `of` items, the first `failing` of them failing."""
    return json.dumps({"items": [{"fail": index < failing} for index in range(of)]})


def s3_events_to(engine: Engine, bucket: str, rule: str, detail: dict[str, Any]) -> str:
    """A new bucket whose Object Created events matching `detail` start a Pass state machine; its ARN."""
    s3, events = engine.client("s3"), engine.client("events")
    machine = pass_machine(engine, f"{rule}-target", {"ok": True})
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],  # moto also emits "Object Tags Added" on every PutObject
        "detail": {"bucket": {"name": [bucket]}, **detail},
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": machine, "RoleArn": ROLE_ARN}])
    return machine
