"""An order's history: every audit event of one order id, from every file, oldest first."""

from __future__ import annotations

from typing import Any

from salesdq.locate import StackRef
from services.domain import audit_events, contract


def order_history(stack: StackRef, order_id: str) -> list[dict[str, Any]]:
    """The id is taken as the contract keys it (trimmed, NFC), so the id as a user types it finds its order."""
    found = stack.audit().query(audit_events.order_pk(contract.order_id_form(order_id)))
    ordered = sorted(found, key=lambda e: (e.get("at", ""), e["sk"]))
    return [{k: v for k, v in e.items() if k not in ("pk", "sk")} for e in ordered]
