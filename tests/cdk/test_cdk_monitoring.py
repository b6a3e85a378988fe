"""Alarms on the quarantine queue, failed executions, every function's errors and the quality score; the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template
from cdk_synth import Synth

from cdk.capabilities import monitoring
from cdk.capabilities.monitoring import MonitoringConstruct
from cdk.capabilities.nag import logical_id
from salesdq import resources
from services.domain.contract import Rule


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


def _dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON body, its CloudFormation references replaced by a placeholder string."""
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "REF" for p in parts))


def _widget(template: dict[str, Any], title: str) -> dict[str, Any]:
    (widget,) = [w for w in _dashboard_body(template)["widgets"] if w["properties"].get("title") == title]
    return widget["properties"]


def test_quality_score_alarm(synth: Synth) -> None:
    (alarm,) = _alarms(synth, monitoring.QUALITY_SCORE_METRIC)
    assert alarm["MetricName"] == "QualityScore"
    assert alarm["Namespace"] == resources.POWERTOOLS_NAMESPACE == "salesdq"
    # Powertools adds `service` = POWERTOOLS_SERVICE_NAME: what the deployed Finalize function's environment says.
    finalize = synth.raw["Resources"][logical_id(synth.stack.functions[resources.FINALIZE.id])]
    environment = finalize["Properties"]["Environment"]["Variables"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": environment["POWERTOOLS_SERVICE_NAME"]}]
    assert environment["POWERTOOLS_SERVICE_NAME"] == resources.FINALIZE.service == "ingest"
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == alarm["Namespace"]
    assert alarm["Statistic"] == "Minimum"  # any one file below the threshold
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == monitoring.DEFAULT_QUALITY_THRESHOLD * 100 == 90  # the metric is a percentage
    assert alarm["TreatMissingData"] == "notBreaching"  # no file, no data: not a low score


def _monitoring_template(context: dict[str, Any]) -> dict[str, Any]:
    """MonitoringConstruct alone in a stack of imported resources: a synth in a second, not a whole app's."""
    app = App(context=context)
    stack = Stack(app, "MonitoringOnly")
    arn = "arn:aws:{}:us-east-1:123456789012:{}"
    MonitoringConstruct(
        stack,
        "Monitoring",
        quarantine=sqs.Queue.from_queue_arn(stack, "Queue", arn.format("sqs", "q")),
        state_machine=sfn.StateMachine.from_state_machine_arn(stack, "Sm", arn.format("states", "stateMachine:sm")),
        functions={
            f.id: lambda_.Function.from_function_arn(stack, f.id, arn.format("lambda", f"function:{f.name}"))
            for f in resources.ALL_FUNCTIONS
        },
    )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


@pytest.mark.parametrize(("given", "threshold"), [("0.75", 75), (0.5, 50), ("1", 100)])
def test_quality_alarm_threshold_from_context(given: object, threshold: float) -> None:
    template = _monitoring_template({monitoring.QUALITY_THRESHOLD_CONTEXT: given})
    (alarm,) = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["MetricName"] == "QualityScore"
    ]
    assert alarm["Threshold"] == pytest.approx(threshold)
    annotation = _widget(template, "Quality score (%)")["annotations"]["horizontal"]
    assert [a["value"] for a in annotation] == [pytest.approx(threshold)]


@pytest.mark.parametrize("given", ["90", "0", "-0.1", "ninety"])
def test_quality_alarm_threshold_must_be_a_fraction(given: str) -> None:
    with pytest.raises(ValueError, match=r"quality_alarm_threshold.*fraction"):
        _monitoring_template({monitoring.QUALITY_THRESHOLD_CONTEXT: given})


def test_quality_score_widget(synth: Synth) -> None:
    widget = _widget(synth.raw, "Quality score (%)")
    # [namespace, metric, dimension, value, options]: the average and the lowest file of each period
    assert [m[:4] for m in widget["metrics"]] == [["salesdq", "QualityScore", "service", "ingest"]] * 2
    assert [m[4].get("stat", "Average") for m in widget["metrics"]] == ["Average", "Minimum"]
    assert widget["view"] == "timeSeries"
    assert widget["yAxis"]["left"] == {"min": 0, "max": 100, "showUnits": False}
    assert widget["annotations"]["horizontal"] == [{"value": 90, "label": "alarm threshold", "yAxis": "left"}]


def test_rule_failures_widget_has_every_rule(synth: Synth) -> None:
    widget = _widget(synth.raw, "Record failures by rule")
    # [namespace, metric, "rule", rule, "service", service, options]: one line per rule of the contract
    assert sorted(m[3] for m in widget["metrics"]) == sorted(r.value for r in Rule)
    assert {(m[0], m[1], m[2], m[4], m[5]) for m in widget["metrics"]} == {
        ("salesdq", "RuleFailures", "rule", "service", "ingest")
    }
    assert {m[6]["stat"] for m in widget["metrics"]} == {"Sum"}


def test_quality_alarm_is_on_the_alarm_status_widget(synth: Synth) -> None:
    (alarm_id,) = [
        k
        for k, a in synth.resources("AWS::CloudWatch::Alarm").items()
        if a["Properties"]["MetricName"] == "QualityScore"
    ]
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    assert {"Fn::GetAtt": [alarm_id, "Arn"]} in parts
