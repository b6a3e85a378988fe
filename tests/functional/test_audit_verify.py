"""`audit verify` over what the real steps wrote: a chunk of a run that then failed stored its orders and opened
its quarantine items, but never appended its events. Those belong to the failed run, not to drift."""

from __future__ import annotations

from typing import Any

from salesdq import resources
from salesdq.locate import StackRef
from salesdq.operators import audit
from services.contract import default
from services.domain import audit_events, chunk_entry
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.validator.quarantine import quarantine
from services.validator.store_orders import store_chunk

from .conftest import BUCKET, Aws

FILE_ID, AT = "d" * 64, "2024-03-01T09:00:00.000Z"


def order(order_id: str, qty: Any = 1) -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "I", "qty": qty},
        "contact-info": {"name": "A", "email": "a@b.co"},
    }


def test_what_a_failed_run_wrote_before_its_events_is_held_by_it(aws: Aws) -> None:
    stores = aws.stores
    for kind, detail in ((EventKind.FILE_ACCEPTED, {"records": 3}), (EventKind.FILE_FAILED, {"reason": "it stopped"})):
        event = audit_events.file_event(
            run=Run(file_id=FILE_ID, file="incoming/x.json", id=AT, execution="e1"), kind=kind, **detail
        )
        stores.audit.append([event])
    records = [chunk_entry.staged(i, r) for i, r in enumerate([order("x1"), order("x2", qty=0), order("x3")])]
    job = ChunkJob(
        run=Run(file_id=FILE_ID, file="incoming/x.json", id=AT, execution="e1"), partition=0, chunk=0, key="staging/x"
    )
    outcomes = store_chunk(records, job, stores.orders, stores.leases, default())
    quarantine(job, outcomes, {}, stores.quarantine, stores.inbox, stores.quarantined, {})  # then the run failed
    stores.orders.restore({**order("zz"), "OrderId": "zz"})  # and one order salesdq never wrote

    clients = {"s3": aws.s3, "sqs": aws.sqs, "dynamodb": aws.ddb}
    names = (BUCKET, resources.ORDERS.name, resources.AUDIT.name, aws.queue_url, "sm", "fn", resources.QUARANTINED.name)
    stack = StackRef(*names, connect=clients.__getitem__)
    found = audit.verify(stack).as_dict()
    assert found["drift"] is True and found["orders"]["extra"] == ["zz"]  # only what no run wrote is drift
    assert found["quarantine"]["extra"] == []
    (held,) = found["held"]
    assert (held["file_id"], held["at"], held["status"]) == (FILE_ID, AT, "failed")
    assert (held["orders"], held["quarantine"]) == (["x1", "x3"], [f"{FILE_ID}:1"])
