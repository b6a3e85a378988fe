"""RecordChunkFailure handler: a chunk that failed past its retries -> the reason, recorded in the audit log."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import ChunkJob
from services.ingest.failures import record_chunk_failure
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    job = ChunkJob.from_payload(event)
    reason = record_chunk_failure(job, event.get("error"), STORES.audit)
    obs.metrics.add_metric(name="Chunks_failed", unit=MetricUnit.Count, value=1)
    obs.logger.warning("chunk failed", extra={"chunk": job.key, "reason": reason})
    return {"reason": reason}
