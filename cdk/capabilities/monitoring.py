"""Alarms and a dashboard: quarantined records, stuck quarantine, failed runs, function errors, the quality score.

The quality-score alarm's threshold is the CDK context value `quality_alarm_threshold` (a fraction, as reports
show scores: `-c quality_alarm_threshold=0.9`; default DEFAULT_QUALITY_THRESHOLD), docs/deploy.md says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from salesdq import resources
from services.domain.contract import Rule
from services.runtime import observability

PERIOD = Duration.minutes(5)
# Quarantined records should be looked at within a day; older ones mean nobody is triaging.
OLDEST_QUARANTINE_AGE_S = 24 * 3600
QUALITY_THRESHOLD_CONTEXT = "quality_alarm_threshold"
DEFAULT_QUALITY_THRESHOLD = 0.9
# What the Finalize handler publishes, with the `service` dimension Powertools adds from the function's
# POWERTOOLS_SERVICE_NAME.
QUALITY_SCORE_METRIC = observability.QUALITY_SCORE_METRIC
RULE_FAILURES_METRIC = observability.RULE_FAILURES_METRIC


def quality_threshold(context_value: object) -> float:
    """The context's threshold as a fraction in (0, 1]; the default when unset."""
    if context_value is None:
        return DEFAULT_QUALITY_THRESHOLD
    try:
        value = float(str(context_value))
    except ValueError:
        raise ValueError(f"{QUALITY_THRESHOLD_CONTEXT}={context_value!r}: expected a fraction such as 0.9") from None
    if not 0 < value <= 1:
        raise ValueError(
            f"{QUALITY_THRESHOLD_CONTEXT}={context_value!r}: expected a fraction in (0, 1] such as 0.9, "
            "not a percentage"
        )
    return value


def _finalize_metric(name: str, statistic: str, **dimensions: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=resources.POWERTOOLS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": resources.FINALIZE.service, **dimensions},
        statistic=statistic,
        period=PERIOD,
    )


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
        self.quality_threshold = quality_threshold(self.node.try_get_context(QUALITY_THRESHOLD_CONTEXT))
        # Minimum: one file below the threshold is enough (each file is one data point); an hour without files
        # is no data, not a breach.
        lowest_score = _finalize_metric(QUALITY_SCORE_METRIC, "Minimum")

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
            lowest_score.create_alarm(
                self,
                "QualityScoreLow",
                alarm_name=f"{prefix}-quality-score-low",
                alarm_description=(
                    f"A file scored below {self.quality_threshold:.0%}: see `salesdq report` for its failures."
                ),
                threshold=self.quality_threshold * 100,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
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
            cloudwatch.GraphWidget(
                title="Quality score (%)",
                left=[
                    _finalize_metric(QUALITY_SCORE_METRIC, "Average").with_(label="average of files"),
                    lowest_score.with_(label="lowest file"),
                ],
                left_y_axis=cloudwatch.YAxisProps(min=0, max=100, show_units=False),
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=self.quality_threshold * 100, label="alarm threshold")
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Record failures by rule",
                left=[_finalize_metric(RULE_FAILURES_METRIC, "Sum", rule=r.value).with_(label=r.value) for r in Rule],
                stacked=True,
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", left=errors, width=12),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12),
        )
