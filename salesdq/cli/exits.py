"""Exit statuses, and the one map from what went wrong to the status and the line on stderr."""

from __future__ import annotations

import sys

from salesdq.cli.output import shown
from salesdq.errors import SalesdqError, UsageError
from services.dal.errors import AWS_ERRORS
from services.errors import ServiceError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped

# One row per package's base, the first kind an error is an instance of deciding: a usage error (2), then
# anything else salesdq or the services raise is an operation that failed (1), its message said as it is. The
# engine's EngineError is not here: the command line imports the engine only for `salesdq local ...`, and
# turns its errors into salesdq's there (salesdq/cli/local.py, salesdq/local/run.py). OSError last: a file the
# command writes that the checks before the work could not foresee (a disk full, a path made unwritable).
KINDS: tuple[tuple[type[Exception], int, str], ...] = (
    (UsageError, EXIT_USAGE, "salesdq: error: "),
    (SalesdqError, EXIT_FAILED, "salesdq: "),
    (ServiceError, EXIT_FAILED, "salesdq: "),
    *((kind, EXIT_FAILED, "salesdq: AWS: ") for kind in AWS_ERRORS),
    (OSError, EXIT_FAILED, "salesdq: "),
)
REPORTED = tuple(kind for kind, _, _ in KINDS)


def report(error: Exception) -> int:
    """Print the error as its kind says, on one line of stderr, and return its exit status."""
    for kind, status, prefix in KINDS:
        if isinstance(error, kind):
            print(shown(f"{prefix}{_message(error)}"), file=sys.stderr)
            return status
    raise error  # not a kind a user can act on: the traceback is the report


def _message(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename is not None:
        return f"{error.filename}: {error.strerror}"  # as `cat` says it, without Python's [Errno N] and quotes
    return str(error)


def interrupted(what_happens: str) -> int:
    """Ctrl-C: one line saying what becomes of the work, and 130."""
    print(f"salesdq: interrupted: {what_happens}", file=sys.stderr)
    return EXIT_INTERRUPTED
