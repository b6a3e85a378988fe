"""The contracts a function judges by: the active one, read from its pointer once a run (Prepare), and any
published one by the reference a run carries (services/domain/active_contract.py). A function holds one
`Contracts` from its cold start on (its handler's module): each contract is compiled once and kept by its key
(documents under a key never change), so a warm function compiles a contract once, and a new publish is picked
up by the next run without a redeploy."""

from __future__ import annotations

from services.contract import CompiledContract, default, from_text
from services.dal.contract_store import ContractStore
from services.domain.active_contract import ContractRef, Pointer
from services.errors import ServiceError


class ContractNotFoundError(ServiceError):
    """A run names a published contract whose document is not in the bucket."""


def ref_of(contract: CompiledContract, key: str | None = None) -> ContractRef:
    """How a run names `contract`: `key` where its document is kept (None: the shipped default)."""
    return ContractRef(version=contract.version, digest=contract.digest, key=key)


class Contracts:
    def __init__(self, store: ContractStore) -> None:
        self.store = store
        self._compiled: dict[str, CompiledContract] = {}  # published contracts compiled, by key

    def active(self) -> tuple[ContractRef, CompiledContract]:
        """The contract a run starting now judges by: the pointer's, or the shipped default before any publish."""
        pointer = self.store.pointer()
        if pointer is None:
            shipped = default()
            return ref_of(shipped), shipped
        return pointer.ref, self.of(pointer.ref)

    def pointer(self) -> Pointer | None:
        return self.store.pointer()

    def of(self, ref: ContractRef | None) -> CompiledContract:
        """The contract a run judges by, as it names it (None: a run from before contracts were published, and
        a ref without a key: the shipped default)."""
        if ref is None or ref.key is None:
            return default()
        found = self._compiled.get(ref.key)
        if found is None:
            text = self.store.document(ref.key)
            if text is None:
                raise ContractNotFoundError(f"the contract {ref.version} is not kept at {ref.key}")
            found = self._compiled[ref.key] = from_text(text, ref.key)
        return found
