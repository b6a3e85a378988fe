"""Validate-chunk handler: one chunk of records -> stored / duplicate / quarantined, audited."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contract.published import Contracts
from services.dal import stores_from
from services.domain.payloads import ChunkJob
from services.runtime import config, observability
from services.validator.validate_chunk import validate_chunk

CONFIG = config.load()
STORES = stores_from(CONFIG)
CONTRACTS = Contracts(STORES.contracts)  # the contracts this function has compiled, kept while it is warm
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    job = ChunkJob.from_payload(event)
    counts = validate_chunk(job, STORES, CONTRACTS)
    for outcome, count in counts.items():
        obs.metrics.add_metric(name=f"Records_{outcome}", unit=MetricUnit.Count, value=count)
    obs.logger.info("chunk processed", extra={"chunk": job.key, **counts})
    return counts
