"""An order's history: every audit event of one order id, from every file, oldest first."""

from __future__ import annotations

from typing import Any

from salesdq.locate import StackRef
from services.domain import audit_events


def order_history(stack: StackRef, order_id: str) -> list[dict[str, Any]]:
    # stripped, as the contract strips a record's order id (services/domain/contract.py, extract_order_id)
    found = stack.audit().query(audit_events.order_pk(order_id.strip()))
    ordered = sorted(found, key=lambda e: (e.get("at", ""), e["sk"]))
    return [{k: v for k, v in e.items() if k not in ("pk", "sk")} for e in ordered]
