"""The request boundary: a hook added beside metering sees every in-process request and may answer it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from salesdq_engine import request_hooks


def test_a_hook_sees_each_request_and_may_answer_in_moto_s_place(engine):
    seen: list[str] = []

    def refuse_deletes(request: Any, proceed: request_hooks.Proceed) -> request_hooks.Response:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
        seen.append(operation)
        if operation == "DeleteItem":
            return 400, {}, json.dumps({"__type": "ValidationException", "message": "injected"}).encode()
        return proceed(request)

    ddb = engine.client("dynamodb")
    table = engine.stack.orders_table
    request_hooks.add(refuse_deletes)
    try:
        ddb.put_item(TableName=table, Item={"OrderId": {"S": "hooked"}})
        with pytest.raises(ClientError, match="injected"):
            ddb.delete_item(TableName=table, Key={"OrderId": {"S": "hooked"}})
    finally:
        request_hooks.remove(refuse_deletes)
    assert "PutItem" in seen and "DeleteItem" in seen
    # moto never saw the delete: the item is still there
    assert ddb.get_item(TableName=table, Key={"OrderId": {"S": "hooked"}})["Item"]["OrderId"] == {"S": "hooked"}


def test_a_hook_added_outermost_runs_before_every_hook_already_added(engine):
    order: list[str] = []

    def hook(name: str) -> request_hooks.RequestHook:
        def record(request: Any, proceed: request_hooks.Proceed) -> request_hooks.Response:
            order.append(name)
            return proceed(request)

        return record

    inner, outer = hook("inner"), hook("outer")
    request_hooks.add(inner)
    request_hooks.add(outer, outermost=True)
    try:
        engine.client("sqs").list_queues()
    finally:
        request_hooks.remove(inner)
        request_hooks.remove(outer)
    assert order == ["outer", "inner"]
    engine.client("sqs").list_queues()
    assert order == ["outer", "inner"]  # both removed
