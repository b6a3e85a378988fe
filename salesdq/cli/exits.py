"""Exit statuses, and the one map from what went wrong to the status and the line on stderr."""

from __future__ import annotations

import sys

from salesdq.errors import NotFoundError, OperationFailedError, SalesdqError, UsageError
from services.dal.errors import AWS_ERRORS
from services.dal.executions import ExecutionNotFoundError
from services.dal.quarantine_queue import HoldExpiredError
from services.ingest.read_file import FileRejectedError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Most specific first: the first kind an error is an instance of decides. The services' own errors that reach
# the command line as they are raised are mapped here too, beside salesdq's.
KINDS: tuple[tuple[type[Exception], int, str], ...] = (
    (UsageError, EXIT_USAGE, "salesdq: error: "),
    (NotFoundError, EXIT_FAILED, "salesdq: "),
    (OperationFailedError, EXIT_FAILED, "salesdq: "),
    (SalesdqError, EXIT_FAILED, "salesdq: "),
    (ExecutionNotFoundError, EXIT_FAILED, "salesdq: no such workflow execution: "),
    (HoldExpiredError, EXIT_FAILED, "salesdq: "),
    (FileRejectedError, EXIT_FAILED, "salesdq: "),
    *((kind, EXIT_FAILED, "salesdq: AWS: ") for kind in AWS_ERRORS),
)
REPORTED = tuple(kind for kind, _, _ in KINDS)


def report(error: Exception) -> int:
    """Print the error as its kind says, on one line of stderr, and return its exit status."""
    for kind, status, prefix in KINDS:
        if isinstance(error, kind):
            print(f"{prefix}{error}", file=sys.stderr)
            return status
    raise error  # not a kind a user can act on: the traceback is the report
