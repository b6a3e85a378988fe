"""SweepQuarantine handler: the quarantine queue made to agree with the quarantine view after a run that resolved
records."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.redrive.sweep import sweep
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts = sweep(STORES.quarantine, STORES.quarantined)
    obs.metrics.add_metric(name="Messages_swept", unit=MetricUnit.Count, value=counts["deleted"])
    obs.logger.info("quarantine swept", extra=counts)
    return counts
