"""The one registry of the engine's additions to moto (the package docstring says what each does), and the moto
version they were checked against: on any other, the engine refuses to load or start, in one line.

The additions replace moto's (and botocore's) internals by name, so a moto release that moves or changes one
breaks them silently or deep in a traceback; tests/engine/functional checks each against moto's own behaviour
first. This module imports no moto: the check runs before anything of moto is touched.
"""

from __future__ import annotations

import importlib
from importlib import metadata

from salesdq_engine.errors import MotoVersionError

# What tests/engine/functional checked every addition against; pyproject.toml's `local` extra pins the same.
MOTO_VERSION = "5.2.5"

# The modules whose install() applies their additions, in the order applied: s3 after eventbridge, whose delivery
# it wraps; metering after stepfunctions, so that its count of the states entered wraps the input check.
# (request_hooks is installed by those that use it.)
ADDITIONS = ("lambda_runtime", "eventbridge", "s3", "sqs", "stepfunctions", "dynamodb", "metering")


def installed_moto() -> str | None:
    """The version of moto installed, None without one."""
    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return None


def check_moto() -> None:
    """MotoVersionError unless the moto installed is the one the additions were checked against."""
    installed = installed_moto()
    if installed != MOTO_VERSION:
        found = f"moto {installed} is installed" if installed else "moto is not installed"
        raise MotoVersionError(f"the embedded engine was checked against moto {MOTO_VERSION} and {found}")


def install() -> None:
    """Apply every addition to moto, in order, once the moto installed is the one they were checked against;
    idempotent."""
    check_moto()
    for name in ADDITIONS:
        importlib.import_module(f"salesdq_engine.{name}").install()
