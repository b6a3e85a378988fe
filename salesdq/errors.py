"""What a salesdq user can act on: one base error, one subclass per kind.

The command line maps each kind to its exit status and message in one place (salesdq/cli/exits.py); the
code that raises them (operators, local runs, finding a stack) knows nothing of exit statuses.
"""

from __future__ import annotations


class SalesdqError(Exception):
    """Something the user can act on: the message says what and where."""


class UsageError(SalesdqError):
    """The command line, or a file it names, is not what the command takes."""


class NotFoundError(SalesdqError):
    """What the command works on does not exist, or cannot be reached."""


class StackNotFoundError(NotFoundError):
    """No salesdq stack is reachable with the current AWS configuration."""


class OperationFailedError(SalesdqError):
    """The command was right, but AWS or the engine did not do what it asked."""


class FollowError(OperationFailedError):
    """An upload started no workflow execution, or the execution outlived the wait."""


class EngineFailedError(OperationFailedError):
    """The embedded engine failed while it ran files (`salesdq local run`) or served them (`local up`)."""
