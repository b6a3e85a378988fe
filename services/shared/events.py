"""Parsing of the workflow payloads the handlers receive: one place, one error type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InvalidEventError(Exception):
    """The payload is not what the workflow sends; the message names the missing field."""


def require(event: Mapping[str, Any], *path: str) -> Any:
    value: Any = event
    for i, name in enumerate(path):
        if not isinstance(value, Mapping) or name not in value:
            raise InvalidEventError(f"payload has no {'.'.join(path[: i + 1])}")
        value = value[name]
    return value
