"""Alarms on the quarantine queue, failed executions and every function's errors; the dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synth import Synth

from cdk.capabilities.nag import logical_id
from salesdq import resources


def _alarms(synth: Synth, metric: str) -> list[dict[str, Any]]:
    return [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    ]


def test_quarantine_not_empty_alarm(synth: Synth) -> None:
    (alarm,) = _alarms(synth, "ApproximateNumberOfMessagesVisible")
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    queue = logical_id(synth.stack.quarantine.queue)
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]


def test_quarantine_age_alarm(synth: Synth) -> None:
    (alarm,) = _alarms(synth, "ApproximateAgeOfOldestMessage")
    assert alarm["Threshold"] > 0
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [logical_id(synth.stack.quarantine.queue), "QueueName"]}


def test_executions_failed_alarm(synth: Synth) -> None:
    (alarm,) = _alarms(synth, "ExecutionsFailed")
    assert alarm["Namespace"] == "AWS/States"
    assert alarm["Threshold"] == 1
    assert alarm["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": logical_id(synth.stack.ingest.state_machine)}}
    ]


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_function_errors_alarm(synth: Synth, spec: resources.FunctionSpec) -> None:
    function = logical_id(synth.stack.functions[spec.id])
    matching = [
        a for a in _alarms(synth, "Errors") if a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]
    assert len(matching) == 1
    assert matching[0]["Namespace"] == "AWS/Lambda"


def test_dashboard_exists(synth: Synth) -> None:
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == resources.STACK_NAME
