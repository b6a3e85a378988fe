"""A handler the tests deploy through the plain Lambda API: it answers with what its cold start read from the
function's environment, and can hold an invocation open until the test lets it go."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

GREETING = os.environ["PROBE_GREETING"]  # read at cold start, as a handler's configuration is
FUNCTION = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
MEMORY = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if gate := event.get("gate"):
        Path(gate, "entered").touch()
        deadline = time.monotonic() + 30
        while not Path(gate, "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    print(f"probe says {GREETING}")
    return {
        "greeting": GREETING,
        "function": FUNCTION,
        "memory": MEMORY,
        "context": [context.function_name, context.memory_limit_in_mb, context.invoked_function_arn],
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
