"""`salesdq contract publish | show | history`: the active contract, what the next runs judge by, made data
(docs/contracts.md#publishing). Publishing keeps the contract's document under its digest, then moves the active
pointer to it (services/domain/active_contract.py), then appends a `contract.published` audit event (who, which
contract, the one it replaced, the diff). The functions read the pointer when a run starts: no redeploy."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from salesdq.errors import NotFoundError, UsageError
from salesdq.locate import StackRef
from salesdq.operators.contract import BREAKING, describe, diff
from services.contract import DEFAULT_PATH, CompiledContract, default
from services.contract.published import Contracts, ref_of
from services.dal.deployment import caller_arn
from services.domain import audit_events
from services.domain.active_contract import SHIPPED, ContractRef, Pointer

MIN_DIGEST_PREFIX = 8  # a digest prefix names a contract from this many hex digits on, as file ids do


def who(stack: StackRef) -> str:
    """Who publishes: on AWS the caller's identity (STS GetCallerIdentity's ARN); on the embedded engine, which
    has no identities of its own, the OS user running the command."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return f"{getpass.getuser()} (OS user, embedded engine)"
    return caller_arn(stack.client("sts"))


@dataclass(frozen=True)
class Proposal:
    """What publishing `contract` would do: the active contract it replaces, and the diff against it."""

    contract: CompiledContract
    text: str
    active: CompiledContract
    active_ref: ContractRef
    changes: list[dict[str, str]]

    @property
    def already_active(self) -> bool:
        return self.contract.digest == self.active.digest

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "already_active" if self.already_active else "proposed",
            "contract": self.contract.version,
            "digest": self.contract.digest,
            "previous": self.active.version,
            "breaking": any(c["kind"] == BREAKING for c in self.changes),
            "changes": self.changes,
        }


def active(stack: StackRef) -> tuple[ContractRef, CompiledContract, Pointer | None]:
    """The contract the next run would judge by, and the pointer naming it (None: the shipped default)."""
    contracts = Contracts(stack.contracts())
    pointer = contracts.pointer()
    ref = pointer.ref if pointer else ref_of(default())
    return ref, contracts.of(ref), pointer


def propose(stack: StackRef, contract: CompiledContract, text: str) -> Proposal:
    ref, current, _ = active(stack)
    changes = [] if contract.digest == current.digest else [c.as_dict() for c in diff(current, contract)]
    return Proposal(contract, text, current, ref, changes)


def publish(stack: StackRef, proposal: Proposal, by: str) -> dict[str, Any]:
    """Keep the document (written once under its digest), move the pointer, append the audit event; nothing
    when the contract is the active one already."""
    found = proposal.as_dict()
    if proposal.already_active:
        return found
    store = stack.contracts()
    previous = proposal.active_ref
    if previous.key is None:  # the shipped default is replaced: keep it too, so it stays readable
        kept = store.keep(previous.digest, DEFAULT_PATH.read_text(encoding="utf-8"))
        previous = previous.model_copy(update={"key": kept})
    contract = proposal.contract
    key = store.keep(contract.digest, proposal.text)
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    store.point(Pointer(version=contract.version, digest=contract.digest, key=key, published_at=at, by=by))
    event = audit_events.contract_published(
        version=contract.version, digest=contract.digest, key=key, at=at, by=by, previous=previous.model_dump(),
        changes=proposal.changes,
    )  # fmt: skip
    stack.audit().append([event])
    return found | {"status": "published", "key": key, "published_at": at, "by": by}


# ------------------------------------------------------------------ history and show


def history(stack: StackRef) -> list[dict[str, Any]]:
    """What was active when, oldest first: the default shipped with the deploy, then each publish."""
    events = list(stack.audit().query(audit_events.CONTRACTS_PK, "PUBLISHED#"))
    first = ContractRef.model_validate(events[0]["previous"]) if events else ref_of(default())
    entries = [_entry(first.version, first.digest, first.key, None, SHIPPED)]
    entries += [
        _entry(str(e["version"]), str(e["digest"]), str(e["key"]), str(e["published_at"]), str(e["by"]), e)
        for e in events
    ]
    entries[-1]["active"] = True
    return entries


def _entry(
    version: str, digest: str, key: str | None, at: str | None, by: str, event: dict[str, Any] | None = None
) -> dict[str, Any]:
    changes = (event or {}).get("changes") or []
    return {
        "contract": version,
        "digest": digest,
        "key": key,
        "published_at": at,
        "by": by,
        "changes": len(changes),
        "breaking": any(c.get("kind") == BREAKING for c in changes),
        "active": False,
    }


def show(stack: StackRef, which: str | None) -> dict[str, Any]:
    """The active contract, or a past one (by its name `2.1.0+<12 digits>`, its ODCS version, or a digest prefix
    of 8+ digits), as `contract check` describes it, with its document."""
    entries = history(stack)
    entry = entries[-1] if which is None else _named(entries, which)
    ref = ContractRef(version=entry["contract"], digest=entry["digest"], key=entry["key"])
    contracts = Contracts(stack.contracts())
    contract = contracts.of(ref)
    if ref.key is None:
        document = DEFAULT_PATH.read_text(encoding="utf-8")
    else:
        document = stack.contracts().document(ref.key) or ""
    found = describe(contract) | {"file": ref.key or str(DEFAULT_PATH)}
    return found | {k: entry[k] for k in ("key", "published_at", "by", "active")} | {"document": document}


def _named(entries: list[dict[str, Any]], which: str) -> dict[str, Any]:
    text = which.strip().lower()
    exact = [e for e in entries if e["contract"] == which.strip()]
    by_version = [e for e in entries if e["contract"].split("+", 1)[0] == which.strip()]
    by_digest = (
        [e for e in entries if e["digest"].startswith(text)] if len(text) >= MIN_DIGEST_PREFIX and _hex(text) else []
    )
    for found in (exact, by_digest, by_version):
        distinct = {e["digest"]: e for e in found}  # a contract published again is one contract
        if len(distinct) == 1:
            return found[-1]
        if len(distinct) > 1:
            names = ", ".join(sorted({e["contract"] for e in found}))
            raise UsageError(f"{which} names more than one contract ({names}): give more of its digest")
    raise NotFoundError(f"no contract {which!r} was ever active: `salesdq contract history` lists them")


def _hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
