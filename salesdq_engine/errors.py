"""The engine's own failure, raised by its lifecycle, its Lambda runtime and provisioning."""

from __future__ import annotations


class EngineError(Exception):
    """The engine could not do what was asked (provisioning, a handler that cannot load, a second engine)."""
