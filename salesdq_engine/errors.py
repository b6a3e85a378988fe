"""The engine's own failures, raised by its lifecycle, its Lambda runtime, provisioning and its moto check."""

from __future__ import annotations


class EngineError(Exception):
    """The engine could not do what was asked (provisioning, a handler that cannot load, a second engine)."""


class MotoVersionError(EngineError, ImportError):
    """The moto installed is not the one the engine's additions were checked against (or there is none): the
    engine refuses to load and to start. An ImportError too, as importing the engine is where it is first met."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.name = "moto"
