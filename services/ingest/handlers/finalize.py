"""Finalize handler: the file's chunk outcomes -> its summary event and metrics.

Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, dimension `service` = POWERTOOLS_SERVICE_NAME, which Powertools
adds to every metric; cdk/capabilities/monitoring.py alarms and graphs exactly these):
- `QualityScore` (Percent): the file's score at arrival, (stored + duplicates) / records, times 100.
- `RuleFailures` (Count), one data point per rule that failed at least one record, with the dimension `rule`.
  Rules are the contract's closed vocabulary (services.domain.contract.Rule, eleven names), so `rule` x `service`
  stays a handful of metrics whatever the files hold; nothing a user controls (a file name, a field) is ever a
  dimension, since every distinct dimension value is a metric billed monthly.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import FileRun
from services.ingest.finalize import finalize
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = FileRun.from_event(event)
    summary = finalize(run, STORES.audit)
    obs.metrics.add_metric(
        name=observability.QUALITY_SCORE_METRIC, unit=MetricUnit.Percent, value=summary["score"] * 100
    )
    # A dimension's value is per EMF document: one document per rule (Powertools' single_metric prints it now).
    for rule, count in sorted(summary["failures_by_rule"].items()):
        with single_metric(
            name=observability.RULE_FAILURES_METRIC, unit=MetricUnit.Count, value=count, namespace=obs.metrics.namespace
        ) as metric:
            metric.add_dimension(name="rule", value=rule)
    obs.logger.info("file completed", extra={k: v for k, v in summary.items() if k != "failures_by_rule"})
    # A replay's summary says so (None: not one): the workflow then sweeps the DLQ of the records it resolved.
    return summary | {"replay_of": run.replay_of}
