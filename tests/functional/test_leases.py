"""Write leases against moto: what keeps two files from storing the same order id at the same time."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from salesdq import resources
from services.dal.errors import StoreError
from services.dal.leases_table import LeaseBusyError, Leases
from services.domain.slots import slot_of
from services.validator import store_orders
from services.validator.validate_chunk import validate_chunk

from .conftest import Aws
from .test_validate_chunk import order, stage

OTHER = "another-file#0#0"
SOON_S = 60  # how long after its function's timeout a dead holder may still keep another file waiting


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def leases(aws: Aws, clock: Clock) -> Leases:
    return Leases(resources.LEASES.name, client=aws.ddb, clock=clock)


def holders(aws: Aws) -> dict[str, str]:
    items = aws.ddb.scan(TableName=resources.LEASES.name, ConsistentRead=True)["Items"]
    return {item["pk"]["S"]: item["holder"]["S"] for item in items}


def test_a_held_slot_is_busy_for_another_writer_and_takes_none_of_its_other_slots(aws):
    clock = Clock()
    leases(aws, clock).acquire([5], OTHER, ttl_s=60)

    with pytest.raises(LeaseBusyError, match=f"held by {OTHER}"):
        leases(aws, clock).acquire([3, 5, 9], "me", ttl_s=60)

    assert holders(aws) == {"SLOT#005": OTHER}  # slot 3, taken before 5 was refused, was given back


def test_a_lease_is_reentrant_for_its_holder_and_free_once_expired(aws):
    clock = Clock()
    leases(aws, clock).acquire([7], "chunk-a", ttl_s=60)
    leases(aws, clock).acquire([7], "chunk-a", ttl_s=60)  # a retry of the same chunk
    with pytest.raises(LeaseBusyError):
        leases(aws, clock).acquire([7], "chunk-b", ttl_s=60)

    clock.now += 61  # the holder died: its lease expires
    leases(aws, clock).acquire([7], "chunk-b", ttl_s=60)

    assert holders(aws) == {"SLOT#007": "chunk-b"}
    leases(aws, clock).release([7], "chunk-a")  # the dead holder's late release frees nothing
    assert holders(aws) == {"SLOT#007": "chunk-b"}


def test_held_gives_the_leases_back_even_when_the_block_fails(aws):
    clock = Clock()
    with pytest.raises(RuntimeError), leases(aws, clock).held([1, 2], "me", ttl_s=60):
        assert holders(aws) == {"SLOT#001": "me", "SLOT#002": "me"}
        raise RuntimeError("crash")
    assert holders(aws) == {}


def test_a_chunk_whose_slot_another_file_holds_writes_nothing_until_it_is_free(aws):
    process_first = stage(aws, [order("A")], file_id="e" * 64, file="incoming/first.json")
    second = stage(aws, [order("A", qty=2)], chunk=1)
    held = Leases(resources.LEASES.name, client=aws.ddb).acquire([slot_of("A")], OTHER, ttl_s=60)

    with pytest.raises(LeaseBusyError):
        validate_chunk(second, aws.stores)
    assert aws.orders() == {} and aws.audit() == [] and aws.messages() == []

    Leases(resources.LEASES.name, client=aws.ddb).release(held, OTHER)
    assert validate_chunk(process_first, aws.stores) == {"stored": 1, "duplicate": 0, "quarantined": 0}
    assert validate_chunk(second, aws.stores) == {"stored": 0, "duplicate": 0, "quarantined": 1}
    assert aws.orders()["A"]["order-info"]["qty"] == 1  # the first stays; the later file's is a conflict
    assert holders(aws) == {}


class Killed(BaseException):
    """Lambda stopped the function (its timeout, a crash): nothing of the invocation runs after it, no release."""


def test_a_dead_chunks_leases_free_its_slots_soon_after_its_function_would_have_been_killed(aws, monkeypatch):
    """A chunk dies holding its leases; another file's chunk shares its slot. Once a lease lived 15 minutes,
    whatever the function's timeout, and the other file waited 932 s; now the slot is busy while the dead holder
    could still have been running (its function's timeout) and free soon after."""
    clock = Clock()
    stores = dataclasses.replace(
        aws.stores, leases=Leases(resources.LEASES.name, client=aws.ddb, clock=clock, lease_s=aws.stores.leases.lease_s)
    )
    dead = stage(aws, [order("A")], file_id="d" * 64, file="incoming/dead.json")
    other = stage(aws, [order("A", qty=2)], chunk=1)

    def killed(*_: Any) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(store_orders.OrdersTable, "existing", killed)  # under its leases, before any write
        patched.setattr(Leases, "release", lambda *_: None)  # a killed function gives nothing back
        with pytest.raises(Killed):
            validate_chunk(dead, stores)
    taken = clock.now
    assert holders(aws) == {f"SLOT#{slot_of('A'):03d}": dead.holder}

    clock.now = taken + resources.VALIDATE_CHUNK.timeout_s  # the holder may have run until now: still its slot
    with pytest.raises(LeaseBusyError, match=dead.holder):
        validate_chunk(other, stores)

    clock.now = taken + resources.VALIDATE_CHUNK.timeout_s + SOON_S
    assert validate_chunk(other, stores) == {"stored": 1, "duplicate": 0, "quarantined": 0}
    assert aws.orders()["A"]["order-info"]["qty"] == 2
    assert holders(aws) == {}


def test_a_lease_that_would_not_live_is_refused(aws):
    with pytest.raises(StoreError, match="LEASE_SECONDS"):
        Leases(resources.LEASES.name, client=aws.ddb).acquire([1], "me", ttl_s=0)
    assert holders(aws) == {}


def test_a_batch_refused_for_an_items_size_is_written_one_order_at_a_time(aws, monkeypatch):
    job = stage(aws, [order("A"), order("B"), order("A"), order("A", qty=3)])

    def refused(self: Any, items: Any) -> None:
        list(items)
        raise store_orders.OrderTooLargeError("Item size has exceeded the maximum allowed size")

    monkeypatch.setattr(store_orders.OrdersTable, "put_all", refused)

    assert validate_chunk(job, aws.stores) == {"stored": 2, "duplicate": 1, "quarantined": 1}
    assert sorted(aws.orders()) == ["A", "B"]


def test_the_workflow_retries_a_busy_lease_for_longer_than_a_lease_lives():
    definition = json.loads(resources.INGEST.definition.read_text(encoding="utf-8"))
    chunk_states = definition["States"]["ValidatePartitions"]["ItemProcessor"]["States"]["ValidateChunksInOrder"]
    validate = chunk_states["ItemProcessor"]["States"]["ValidateChunk"]
    (retry,) = [r for r in validate["Retry"] if r["ErrorEquals"] == [LeaseBusyError.__name__]]
    assert validate["Retry"].index(retry) == 0  # before the catch-all retrier, which would end it sooner
    waits = [
        min(retry["IntervalSeconds"] * retry["BackoffRate"] ** n, retry.get("MaxDelaySeconds", float("inf")))
        for n in range(retry["MaxAttempts"])
    ]
    assert sum(waits) > resources.LEASE_SECONDS > resources.VALIDATE_CHUNK.timeout_s
