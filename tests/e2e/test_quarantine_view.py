"""The quarantine view and the quarantine queue agree: after uploads, a redrive that fixes one record and leaves another
invalid, and the sweep at the end of the redrive's run, the queue holds exactly one message per open item, and
`quarantine list` (which reads the view) lists exactly what the queue holds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import stack_of
from salesdq.operators import quarantine, redrive
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine

from .helpers import order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]


def _raw_queue(engine: Engine) -> list[dict[str, Any]]:
    """Every message the queue holds, copies included (the test reads it as SQS would give it)."""
    queue = stack_of(engine).quarantine()
    held = queue.hold_all()
    queue.release(held)
    return [m["body"] for m in held]


def test_the_queue_holds_one_message_per_open_item_and_quarantine_list_lists_exactly_those(tmp_path: Path) -> None:
    records = [
        order("v1"),
        {"order-info": {"OrderId": "m1", "item-id": "1", "qty": 1}},  # no contact: missing
        order("e1", email="nope"),  # email
        order("q1", qty=0),  # positive_whole
    ]
    path = write_json(tmp_path, "day.json", {"orders": records})
    with Engine(retry_wait_scale=0.01) as engine:
        stack = stack_of(engine)
        first = upload_and_follow(stack, path, Progress())
        assert (first.status, first.stored, first.quarantined) == ("completed", 1, 3)
        listed = {b["id"]: b for b in quarantine.quarantined_items(stack)}
        assert Counter(b["id"] for b in _raw_queue(engine)) == Counter(list(listed))

        by_order = {b["order_id"]: b for b in listed.values()}
        fixed = {**records[1], "contact-info": {"name": "Mo", "email": "mo@example.com"}}
        still_bad = order("e1", email="still-nope")
        corrections = [
            {"id": by_order["m1"]["id"], "record": fixed, "attempt": 1},
            {"id": by_order["e1"]["id"], "record": still_bad, "attempt": 1},
        ]
        sent = redrive.send_corrections(stack, corrections)
        (batch,) = redrive.wait_for_batches(stack, sent, Progress())
        assert (batch.status, batch.stored, batch.quarantined) == ("completed", 1, 1)

        open_items = {b["id"]: b for b in quarantine.quarantined_items(stack)}
        assert set(open_items) == {by_order["e1"]["id"], by_order["q1"]["id"]}  # m1 resolved: not listed
        assert open_items[by_order["e1"]["id"]]["attempt"] == 2
        raw = _raw_queue(engine)
        assert Counter(b["id"] for b in raw) == Counter(list(open_items))  # the sweep left one message per open item
        assert {b["id"]: b for b in raw} == open_items  # and it is the one the view holds
        assert quarantine.sweep(stack)["deleted"] == 0  # nothing left to sweep

        again = redrive.send_corrections(stack, corrections)  # the same corrections again: nothing changes
        assert again["redriven"] == [] and again["refused"] == []
        assert {a["id"]: a["outcome"] for a in again["already"]} == {
            by_order["m1"]["id"]: "stored",
            by_order["e1"]["id"]: "quarantined",  # redriven, and quarantined again at attempt 2
        }
        assert {b["id"] for b in quarantine.quarantined_items(stack)} == set(open_items)


def test_quarantine_filters_select_by_file_rule_and_field_and_limit(tmp_path: Path) -> None:
    records = [order(f"e{i}", email="bad") for i in range(5)]
    records += [{"order-info": {"OrderId": f"m{i}", "item-id": "1", "qty": 1}} for i in range(3)]
    other = write_json(tmp_path, "other.json", {"orders": [order("x1", qty=0)]})
    path = write_json(tmp_path, "mixed.json", {"orders": records})
    with Engine(retry_wait_scale=0.01) as engine:
        stack = stack_of(engine)
        for file in (path, other):
            assert upload_and_follow(stack, file, Progress()).status == "completed"

        def ids(**filters: Any) -> set[str]:
            return {b["order_id"] for b in quarantine.quarantined_items(stack, quarantine.Filters(**filters))}

        assert ids() == {f"e{i}" for i in range(5)} | {f"m{i}" for i in range(3)} | {"x1"}
        assert ids(rule="email") == {f"e{i}" for i in range(5)}
        assert ids(field="contact-info") == {f"m{i}" for i in range(3)}
        assert ids(file="incoming/other.json") == ids(file="other.json") == {"x1"}  # its key, or its name
        assert ids(file="other") == set() and ids(file="incoming/") == set()
        file_id = next(b["file_id"] for b in quarantine.quarantined_items(stack) if b["order_id"] == "x1")
        assert ids(file=file_id) == {"x1"}
        assert len(list(quarantine.quarantined_items(stack, quarantine.Filters(limit=4)))) == 4
        lines = list(quarantine.export_lines(stack, quarantine.Filters(rule="positive_whole")))
        assert [json.loads(json.dumps(line))["record"] for line in lines] == [order("x1", qty=0)]
