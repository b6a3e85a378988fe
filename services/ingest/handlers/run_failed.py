"""RecordRunFailure handler: a run that cannot finish -> its reason, a file.failed event, the execution's cause."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import RunFailure
from services.ingest.failures import record_run_failure
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    run = RunFailure.from_event(event)
    reason = record_run_failure(run, event.get("error"), STORES.audit)
    obs.metrics.add_metric(name="Files_failed", unit=MetricUnit.Count, value=1)
    obs.logger.error("run failed", extra={"file": run.file, "reason": reason})
    return {"reason": reason}
