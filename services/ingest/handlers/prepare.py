"""Prepare handler: payload -> preparation.prepare -> the workflow's next input."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contract.published import Contracts
from services.dal import stores_from
from services.domain.payloads import FileJob
from services.ingest.prepare import prepare
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
CONTRACTS = Contracts(STORES.contracts)  # the contracts this function has compiled, kept while it is warm
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = FileJob.from_payload(event)
    result = prepare(
        job,
        inbox=STORES.inbox,
        audit=STORES.audit,
        quarantine=STORES.quarantine,
        quarantined=STORES.quarantined,
        chunk_records=CONFIG.chunk_records,
        max_partitions=CONFIG.max_partitions,
        contracts=CONTRACTS,
        executions=STORES.executions,
    )
    obs.metrics.add_metric(name=f"Files_{result['status']}", unit=MetricUnit.Count, value=1)
    obs.logger.info("prepared", extra={k: v for k, v in result.items() if k != "manifest"})
    # A ready result names its run: a retry of a failed run keeps that run's id (the chunks' keys).
    return job.run.to_payload() | result
