"""A handler the fault and timeout tests deploy through the plain Lambda API: it makes the AWS calls its event
lists, each with a client of the attempts asked for, and answers with what each call returned; like much real
code it swallows every Exception, and its `finally` makes one more call."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_CLIENTS: dict[tuple[str, int], Any] = {}


def _client(service: str, attempts: int) -> Any:
    if (service, attempts) not in _CLIENTS:
        config = Config(retries={"mode": "legacy", "total_max_attempts": attempts})
        _CLIENTS[service, attempts] = boto3.client(service, config=config)
    return _CLIENTS[service, attempts]


def call(spec: dict[str, Any]) -> dict[str, Any]:
    """One AWS call, {"service", "operation", "params", "attempts"}: its answer, or the error botocore raised."""
    client = _client(spec["service"], spec.get("attempts", 1))
    try:
        response = getattr(client, spec["operation"])(**spec.get("params", {}))
    except ClientError as error:
        metadata = error.response["ResponseMetadata"]
        return {
            "error": error.response["Error"].get("Code"),
            "status": metadata["HTTPStatusCode"],
            "retries": metadata.get("RetryAttempts", 0),
        }
    metadata = response.pop("ResponseMetadata", {})
    response.pop("Body", None)
    return {"ok": json.loads(json.dumps(response, default=str)), "retries": metadata.get("RetryAttempts", 0)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    try:
        time.sleep(event.get("sleep_s", 0))
        for spec in event.get("calls", []):
            results.append(call(spec))
        print(f"remaining_ms {context.get_remaining_time_in_millis()}")
    except Exception as error:  # swallows everything an Exception can be
        results.append({"swallowed": repr(error)})
    finally:
        print(f"finally remaining_ms {context.get_remaining_time_in_millis()}")
        if spec := event.get("finally"):
            call(spec)
    return {"results": results, "remaining_ms": context.get_remaining_time_in_millis()}
