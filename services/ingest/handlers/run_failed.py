"""RecordRunFailure handler: a run that cannot finish -> its reason, a file.failed event, the execution's cause;
or, a run whose Finalize died after its commit point -> its summary, and the execution completes with it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import RunFailure
from services.ingest.failures import end_run
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = RunFailure.from_event(event)
    ended = end_run(run, event.get("error"), STORES.audit)
    if ended["status"] == "completed":
        obs.file_completed(ended)  # Finalize died before publishing them
        return ended | {"replay_of": event.get("replay_of")}  # as Finalize's output: the sweep follows for a replay
    obs.metrics.add_metric(name="Files_failed", unit=MetricUnit.Count, value=1)
    obs.logger.error("run failed", extra={"file": run.file, "reason": ended["reason"]})
    return ended
