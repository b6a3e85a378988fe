"""Why a contract file is refused: it is not ODCS, or it asks for what salesdq cannot enforce."""

from __future__ import annotations

from services.errors import ServiceError


class ContractError(ServiceError):
    """A contract file salesdq refuses; the message says why in one or a few sentences, for a person."""


class NotOdcsError(ContractError):
    """The file is not a valid ODCS document (unreadable YAML, or the standard's JSON Schema refuses it)."""


class UnsupportedConstructError(ContractError):
    """A valid ODCS document that uses a construct salesdq's compiler does not enforce: refused, never ignored."""

    def __init__(self, path: str, sentence: str) -> None:
        self.path = path
        self.sentence = sentence
        super().__init__(f"{path}: {sentence}")
