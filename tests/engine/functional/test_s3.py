"""S3 -> EventBridge: moto gives every write's event one constant identity; the engine gives each write its own,
its sequencer ordering the writes to a key, and every delivery of one event (a duplicate one included) the same."""

from __future__ import annotations

import json
from typing import Any

from salesdq_engine import eventbridge, s3

from .helpers import s3_events_to, wait


def test_moto_alone_gives_two_writes_to_one_key_the_same_event_identity(plain_moto):
    first, second = plain_moto["s3_events"]
    assert first == second  # the id, the sequencer and the request-id: nothing tells the two writes apart
    assert first["sequencer"] == "617f08299329d189"


def _identity(event: dict[str, Any]) -> tuple[str, str, str]:
    return event["id"], event["detail"]["object"]["sequencer"], event["detail"]["request-id"]


def test_engine_gives_each_write_its_identity_and_each_delivery_of_it_the_same(engine):
    client, sfn = engine.client("s3"), engine.client("stepfunctions")
    machine = s3_events_to(engine, "probe-sequencer", "probe-sequencer", {})

    def inputs() -> list[dict[str, Any]]:
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        return [json.loads(wait(sfn, e["executionArn"])["input"]) for e in listed]

    eventbridge.duplicate_deliveries(lambda: True)  # every delivery twice, as the event-duplicate fault does
    try:
        client.put_object(Bucket="probe-sequencer", Key="in/a.json", Body=b"[1]")
    finally:
        eventbridge.duplicate_deliveries(engine.faults.duplicate_delivery)
    delivered = inputs()
    assert len(delivered) == 2 and _identity(delivered[0]) == _identity(delivered[1])
    [(event_id, first, request)] = {_identity(e) for e in delivered}
    assert event_id != "17793124-05d4-b198-2fde-7ededc63b103" and request != "N4N7GDK58NMKJ12R"

    identities = [(event_id, first, request)]
    for body in (b"[1]", b"[2]"):  # the same bytes again, then others, to the same key: each write after the last
        client.put_object(Bucket="probe-sequencer", Key="in/a.json", Body=body)
        [new] = {_identity(e) for e in inputs()} - set(identities)
        identities.append(new)
    ids, sequencers, requests = zip(*identities, strict=True)
    assert len(set(ids)) == len(set(requests)) == 3
    assert all(len(s) == s3.SEQUENCER_DIGITS and int(s, 16) >= 0 for s in sequencers)
    assert sequencers[0] < sequencers[1] < sequencers[2]  # in write order, compared as strings of one width
    assert engine.delivery_errors == []
