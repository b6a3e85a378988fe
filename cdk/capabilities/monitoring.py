"""Alarms and a dashboard: quarantined records, stuck quarantine, failed runs, function errors."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from salesdq import resources

PERIOD = Duration.minutes(5)
# Quarantined records should be looked at within a day; older ones mean nobody is triaging.
OLDEST_QUARANTINE_AGE_S = 24 * 3600


class MonitoringConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        quarantine: sqs.IQueue,
        state_machine: sfn.IStateMachine,
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = resources.STACK_NAME
        not_breaching = cloudwatch.TreatMissingData.NOT_BREACHING
        visible = quarantine.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
        oldest = quarantine.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
        failed = state_machine.metric_failed(period=PERIOD, statistic="Sum")

        self.alarms: list[cloudwatch.Alarm] = [
            visible.create_alarm(
                self,
                "QuarantineNotEmpty",
                alarm_name=f"{prefix}-quarantine-not-empty",
                alarm_description="Records were quarantined: inspect the quarantine queue.",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=not_breaching,
            ),
            oldest.create_alarm(
                self,
                "QuarantineStale",
                alarm_name=f"{prefix}-quarantine-stale",
                alarm_description="Quarantined records older than a day: nobody is triaging them.",
                threshold=OLDEST_QUARANTINE_AGE_S,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=not_breaching,
            ),
            failed.create_alarm(
                self,
                "IngestExecutionsFailed",
                alarm_name=f"{prefix}-ingest-failed",
                alarm_description="An ingest execution failed: a file was not fully processed.",
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=not_breaching,
            ),
        ]
        errors: list[cloudwatch.IMetric] = []
        for spec in resources.ALL_FUNCTIONS:
            metric = functions[spec.id].metric_errors(period=PERIOD, statistic="Sum")
            # A label only on the graph: a labelled metric would turn the alarm into a metric-math alarm.
            errors.append(metric.with_(label=spec.name))
            self.alarms.append(
                metric.create_alarm(
                    self,
                    f"{spec.id}Errors",
                    alarm_name=f"{spec.name}-errors",
                    alarm_description=f"{spec.name} raised errors (the workflow retries, then quarantines).",
                    threshold=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    evaluation_periods=1,
                    treat_missing_data=not_breaching,
                )
            )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=prefix)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Ingest executions",
                left=[
                    state_machine.metric_started(period=PERIOD, statistic="Sum"),
                    state_machine.metric_succeeded(period=PERIOD, statistic="Sum"),
                    failed,
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(title="Quarantine queue", left=[visible], right=[oldest], width=12),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", left=errors, width=12),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12),
        )
