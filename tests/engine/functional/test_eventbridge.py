"""EventBridge: moto starts no execution for a state machine target; the engine starts one per matching event."""

from __future__ import annotations

import json

from salesdq_engine.provisioning import ROLE_ARN

from .helpers import pass_machine, wait


def test_moto_alone_starts_no_execution_for_a_state_machine_target(plain_moto):
    assert plain_moto["executions_after_put"] == 0


def test_engine_starts_one_execution_with_the_s3_event_as_input(engine):
    s3, events, sfn = engine.client("s3"), engine.client("events"), engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-rule-target", {"ok": True})
    s3.create_bucket(Bucket="probe-events")
    s3.put_bucket_notification_configuration(
        Bucket="probe-events", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],  # moto also emits "Object Tags Added" on every PutObject
        "detail": {"bucket": {"name": ["probe-events"]}, "object": {"key": [{"prefix": "in/"}]}},
    }
    events.put_rule(Name="probe-rule", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="probe-rule", Targets=[{"Id": "t", "Arn": machine, "RoleArn": ROLE_ARN}])

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
