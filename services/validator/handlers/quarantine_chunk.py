"""Quarantine-chunk handler: a chunk that failed past its retries goes to the DLQ with the cause."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import ChunkJob
from services.runtime import config, observability
from services.validator.validate_chunk import quarantine_chunk

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


def _cause(error: Any) -> str:
    if not isinstance(error, dict):
        return "unknown error"
    cause = error.get("Cause", "")
    try:  # Lambda errors arrive as a JSON document with errorType and errorMessage
        parsed = json.loads(cause)
        cause = f"{parsed.get('errorType', '')}: {parsed.get('errorMessage', '')}"
    except (TypeError, ValueError):
        pass
    return f"{error.get('Error', 'Error')} ({cause})" if cause else str(error.get("Error", "Error"))


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    job = ChunkJob.from_event(event)
    cause = _cause(event.get("error"))
    counts = quarantine_chunk(job, cause, STORES)
    obs.metrics.add_metric(name="Chunks_failed", unit=MetricUnit.Count, value=1)
    obs.logger.warning("chunk quarantined", extra={"chunk": job.key, "cause": cause, **counts})
    return counts
