"""Where the active contract lives, and how a run names the contract it judges by (docs/contracts.md#publishing).

In the inbox bucket, under its own prefix (the ingest rule matches only incoming/, and no lifecycle rule touches
it): each published contract's document, kept for good under the digest of what it compiles to
(`contracts/versions/<digest>.odcs.yaml`, written once, never overwritten), and the active pointer
(ACTIVE_KEY, the bucket's `active.json`: version, digest, key, published at, by). Until anything is published
there is no pointer and the active contract is the default shipped in the functions' asset
(services/contract/sales.odcs.yaml), "published" with the deploy.

A run reads the pointer once, when it starts (Prepare), and carries a `ContractRef` in its payloads
(services/domain/run.py): every step of the run judges by that contract, whatever is published meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.domain.parsing import parse

CONTRACTS_PREFIX = "contracts/"
VERSIONS_PREFIX = f"{CONTRACTS_PREFIX}versions/"
ACTIVE_KEY = f"{CONTRACTS_PREFIX}active.json"
DOCUMENT_SUFFIX = ".odcs.yaml"
SHIPPED = "shipped with the deploy"  # who "published" the default contract, in `contract history`
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def version_key(digest: str) -> str:
    """Where a published contract's document is kept: by the digest of what it compiles to."""
    if not _DIGEST.match(digest):
        raise ValueError(f"not a contract digest (64 hex digits): {digest!r}")
    return f"{VERSIONS_PREFIX}{digest}{DOCUMENT_SUFFIX}"


class ContractRef(BaseModel):
    """The contract a run judges by, as its payloads carry it: its name in events (`version`, the ODCS version
    and 12 digits of the digest), the digest of what it compiles to, and where its document is kept (`key`;
    None: the default shipped in the functions' asset)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str
    digest: str
    key: str | None = None

    @classmethod
    def from_payload(cls, payload: Any) -> ContractRef:
        return parse(cls, payload)


class Pointer(BaseModel):
    """The active pointer (ACTIVE_KEY): which published contract the next runs judge by, since when and by whom."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str
    digest: str
    key: str
    published_at: str
    by: str

    @property
    def ref(self) -> ContractRef:
        return ContractRef(version=self.version, digest=self.digest, key=self.key)

    @classmethod
    def from_json(cls, value: Any) -> Pointer:
        return parse(cls, value)
