"""Redrive handler: {"corrections": [{"id", "record"}]} -> redrive.logic -> what was redriven or refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.dal import stores_from
from services.domain.payloads import InvalidEventError, require
from services.redrive.redrive import Correction, redrive
from services.runtime import config, observability

CONFIG = config.load()
if not CONFIG.state_machine_arn:
    raise config.ConfigError(f"{config.STATE_MACHINE_ARN} is not set")
STORES = stores_from(CONFIG)
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    items = require(event, "corrections")
    if not isinstance(items, list):
        raise InvalidEventError("payload corrections is not a list")
    corrections = [Correction(id=str(require(item, "id")), record=require(item, "record")) for item in items]
    result = redrive(
        corrections,
        stores=STORES,
        state_machine_arn=CONFIG.state_machine_arn,
        at=datetime.now(UTC).isoformat(),
    )
    obs.metrics.add_metric(name="Records_redriven", unit=MetricUnit.Count, value=len(result["redriven"]))
    obs.logger.info("redrive", extra={"redriven": len(result["redriven"]), "refused": len(result["refused"])})
    return result
