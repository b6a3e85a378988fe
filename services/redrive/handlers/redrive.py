"""Redrive handler: {"corrections": [{"id", "record"}]} -> redrive.logic -> what was redriven or refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.redrive.logic import Correction, redrive
from services.shared import config, observability
from services.shared.dal import stores_from
from services.shared.events import InvalidEventError, require

CONFIG = config.load()
if not CONFIG.state_machine_arn:
    raise config.ConfigError(f"{config.STATE_MACHINE_ARN} is not set")
STORES = stores_from(CONFIG)
SFN = boto3.client("stepfunctions")
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
        sfn=SFN,
        state_machine_arn=CONFIG.state_machine_arn,
        at=datetime.now(UTC).isoformat(),
    )
    obs.metrics.add_metric(name="Records_redriven", unit=MetricUnit.Count, value=len(result["redriven"]))
    obs.logger.info("redrive", extra={"redriven": len(result["redriven"]), "refused": len(result["refused"])})
    return result
