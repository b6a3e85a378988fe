"""Every error a package defines has that package's one base, so the command line maps each base once
(salesdq/cli/exits.py) instead of listing the errors one by one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import salesdq
import salesdq_engine
import services
from salesdq.cli import exits
from salesdq.errors import SalesdqError, UsageError
from salesdq_engine.errors import EngineError
from services.errors import ServiceError

# Errors that are not under their package's base, each for a reason: a private one is control flow inside its
# module (a parser's restart), which escaping would be a bug that must show its traceback; the engine stops a
# handler with a BaseException its own error handling cannot swallow; moto renders its 429 as AWS's own.
OUTSIDE_THE_BASE = {
    "salesdq_engine.lambda_runtime.FunctionStoppedError",
    "salesdq_engine.lambda_runtime.TooManyRequestsError",
}


def _defined_exceptions(package: object) -> list[type[BaseException]]:
    found = []
    path, prefix = package.__path__, package.__name__ + "."  # type: ignore[attr-defined]
    for info in pkgutil.walk_packages(path, prefix):
        # __main__ runs the command line when imported; a handler reads its function's environment (and defines
        # no error of its own).
        if info.name.endswith(".__main__") or ".handlers." in info.name:
            continue
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == info.name and issubclass(value, BaseException)
        ]
    return found


def _under_the_base(error: type[BaseException]) -> bool:
    return not error.__name__.startswith("_") and f"{error.__module__}.{error.__name__}" not in OUTSIDE_THE_BASE


@pytest.mark.parametrize(
    ("package", "base", "at_least"),
    [(services, ServiceError, 15), (salesdq, SalesdqError, 7), (salesdq_engine, EngineError, 3)],
)
def test_every_error_a_package_defines_has_its_base_and_the_error_suffix(
    package: object, base: type[Exception], at_least: int
) -> None:
    errors = _defined_exceptions(package)
    assert len([e for e in errors if _under_the_base(e)]) >= at_least  # the walk found them
    assert [e.__qualname__ for e in errors if _under_the_base(e) and not issubclass(e, base)] == []
    assert [e.__qualname__ for e in errors if not e.__name__.endswith("Error")] == []


def test_the_command_line_maps_each_base_once() -> None:
    mapped = [kind for kind, _, _ in exits.KINDS]
    assert {UsageError, SalesdqError, ServiceError} <= set(mapped)
    assert all(
        kind in (UsageError, SalesdqError, ServiceError, OSError) or kind.__module__.startswith("botocore")
        for kind in mapped
    )
