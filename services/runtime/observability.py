"""Powertools Logger, Tracer and Metrics, created in this one place.

Each handler module calls `setup()` at cold start; the service name and metrics namespace come from the
function's environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE). EphemeralMetrics keeps its
metrics per instance, not per process, so execution environments that share a process (the embedded
engine's) never flush each other's metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit, single_metric

# Metrics the CDK app's alarms and dashboard read (cdk/capabilities/monitoring.py), published by Finalize.
QUALITY_SCORE_METRIC = "QualityScore"  # Percent: a file's quality score at arrival, times 100
RULE_FAILURES_METRIC = "RuleFailures"  # Count, dimension `rule`: one data point per rule that failed records


@dataclass(frozen=True)
class Observability:
    logger: Logger
    tracer: Tracer
    metrics: EphemeralMetrics

    def handler(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """A Lambda entry point with the Lambda context in every log line, a trace, and metrics flushed."""
        return self.logger.inject_lambda_context(self.tracer.capture_lambda_handler(self.metrics.log_metrics(function)))

    def file_completed(self, summary: Mapping[str, Any]) -> None:
        """A completed run's metrics (its score, its failures by rule) and log line: published by whichever step
        completes the execution, Finalize or, when Finalize died after its commit point, RecordRunFailure."""
        self.metrics.add_metric(name=QUALITY_SCORE_METRIC, unit=MetricUnit.Percent, value=summary["score"] * 100)
        # A dimension's value is per EMF document: one document per rule (Powertools' single_metric prints it now).
        for rule, count in sorted(summary["failures_by_rule"].items()):
            with single_metric(
                name=RULE_FAILURES_METRIC, unit=MetricUnit.Count, value=count, namespace=self.metrics.namespace
            ) as metric:
                metric.add_dimension(name="rule", value=rule)
        self.logger.info("file completed", extra={k: v for k, v in summary.items() if k != "failures_by_rule"})


def setup() -> Observability:
    return Observability(logger=Logger(), tracer=Tracer(), metrics=EphemeralMetrics())
