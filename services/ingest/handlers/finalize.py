"""Finalize handler: the file's chunk outcomes -> its summary event and metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
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
    obs.metrics.add_metric(name="QualityScore", unit=MetricUnit.Percent, value=summary["score"] * 100)
    obs.logger.info("file completed", extra={k: v for k, v in summary.items() if k != "failures_by_rule"})
    return summary
