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
    failure = RunFailure.from_payload(event)
    ended = end_run(failure, event.get("error"), STORES.audit)
    if ended["status"] == "completed":
        obs.file_completed(ended)  # Finalize died before publishing them
        # as Finalize's output: the sweep follows for a replay
        return ended | {"replay_of": failure.run.to_payload()["replay_of"]}
    obs.metrics.add_metric(name="Files_failed", unit=MetricUnit.Count, value=1)
    obs.logger.error("run failed", extra={"file": failure.run.file, "reason": ended["reason"]})
    return ended
