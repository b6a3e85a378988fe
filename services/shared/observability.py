"""Powertools Logger, Tracer and Metrics, created in this one place.

Each handler module calls `setup()` at cold start; the service name and metrics namespace come from the
function's environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics, Tracer


@dataclass(frozen=True)
class Observability:
    logger: Logger
    tracer: Tracer
    metrics: Metrics


def setup() -> Observability:
    return Observability(logger=Logger(), tracer=Tracer(), metrics=Metrics())
