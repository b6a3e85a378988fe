"""EventBridge: moto starts no execution for a state machine target; the engine starts one per matching event."""

from __future__ import annotations

import json

from .helpers import s3_events_to, wait


def test_moto_alone_starts_no_execution_for_a_state_machine_target(plain_moto):
    assert plain_moto["executions_after_put"] == 0


def test_engine_starts_one_execution_with_the_s3_event_as_input(engine):
    s3, sfn = engine.client("s3"), engine.client("stepfunctions")
    machine = s3_events_to(engine, "probe-events", "probe-rule", {"object": {"key": [{"prefix": "in/"}]}})

    s3.put_object(Bucket="probe-events", Key="out/ignored.json", Body=b"[]")  # the pattern does not match
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []

    s3.put_object(Bucket="probe-events", Key="in/a.json", Body=b"[1]")

    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = wait(sfn, execution["executionArn"])
    event = json.loads(described["input"])
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == "probe-events"
    assert event["detail"]["object"]["key"] == "in/a.json"
    assert event["detail"]["object"]["size"] == 3
    assert described["status"] == "SUCCEEDED"
    assert engine.delivery_errors == []
    # the ingest rule only matches its own bucket: nothing started there
    assert sfn.list_executions(stateMachineArn=engine.stack.state_machine_arn)["executions"] == []
