"""The base of every error the services raise, so a caller outside them (the command line) can tell them apart
from a bug in one `except`. Each error stays beside the module that raises it (Powertools-style).

Here, not in services/domain/: the data-access layer, the runtime and the ingest all raise them, and the domain
is the pure logic those layers use, not a place every layer must depend on for this one name.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A service could not do what was asked: the message says what and where, for a person."""
