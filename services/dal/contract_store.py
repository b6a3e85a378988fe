"""The published contracts, in the inbox bucket under contracts/ (services/domain/active_contract.py): the
active pointer, and each published contract's document kept for good under its digest."""

from __future__ import annotations

from services.dal.inbox_bucket import InboxBucket
from services.domain import json_codec
from services.domain.active_contract import ACTIVE_KEY, Pointer, version_key


class ContractStore:
    def __init__(self, inbox: InboxBucket) -> None:
        self.inbox = inbox

    def pointer(self) -> Pointer | None:
        """The active pointer; None while nothing has been published (the shipped default is active)."""
        body = self.inbox.get_bytes(ACTIVE_KEY)
        return None if body is None else Pointer.from_json(json_codec.loads(body))

    def document(self, key: str) -> str | None:
        """A published contract's ODCS document, as it was published; None when no such key."""
        body = self.inbox.get_bytes(key)
        return None if body is None else body.decode("utf-8")

    def keep(self, digest: str, text: str) -> str:
        """Keep a contract's document under its digest, unless one is kept there already (documents are never
        overwritten: the same digest compiles to the same rules); its key."""
        key = version_key(digest)
        self.inbox.create(key, text.encode("utf-8"), "application/yaml")
        return key

    def point(self, pointer: Pointer) -> None:
        """Make `pointer` the active one: the next run to start judges by it."""
        self.inbox.put_json(ACTIVE_KEY, pointer.model_dump())
