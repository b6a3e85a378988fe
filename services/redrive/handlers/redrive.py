"""Redrive handler: {"request_id", "corrections": [{"id", "record", "attempt"?}]} -> redrive -> what was
redriven, refused, or already redriven; the execution and batch it started, and the ones it follows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contract.published import Contracts
from services.dal import stores_from
from services.redrive.redrive import corrections_of, redrive, request_of
from services.runtime import config, observability

CONFIG = config.load()
if not CONFIG.state_machine_arn:
    raise config.ConfigError(f"{config.STATE_MACHINE_ARN} is not set")
STORES = stores_from(CONFIG)
CONTRACTS = Contracts(STORES.contracts)  # the contracts this function has compiled, kept while it is warm
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = request_of(event, corrections_of(event))
    result = redrive(
        request,
        stores=STORES,
        state_machine_arn=CONFIG.state_machine_arn,
        at=datetime.now(UTC).isoformat(),
        contracts=CONTRACTS,
    )
    obs.metrics.add_metric(name="Records_redriven", unit=MetricUnit.Count, value=len(result["redriven"]))
    counts = {key: len(result[key]) for key in ("redriven", "refused", "already")}
    obs.logger.info("redrive", extra={"request_id": request.request_id, **counts})
    return result
