"""Lambda: moto echoes a payload; the engine runs the real handler of any function created through the API, and
stops it past its configured timeout, as Lambda does."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from salesdq import resources
from salesdq_engine import Engine
from salesdq_engine.lambda_runtime import RoutedStdout
from salesdq_engine.provisioning import PLACEHOLDER_CODE, ROLE_ARN

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

PROBE_HANDLER = "tests.engine.functional.probe_handler.handler"
FAULT_HANDLER = "tests.engine.functional.fault_handler.handler"


def invoke(engine: Engine, function: str, payload: dict[str, Any]) -> tuple[str | None, Any]:
    response = engine.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def no_retries(engine: Engine) -> Any:
    return boto3.client("lambda", region_name=engine.region, config=Config(retries={"total_max_attempts": 1}))


def test_moto_alone_echoes_a_lambda_payload(plain_moto):
    assert plain_moto["lambda"] == {"error": None, "payload": {"hello": 1}}


def test_engine_runs_the_real_handler_under_the_functions_own_environment(engine):
    error, payload = invoke(engine, resources.FINALIZE.name, {"file_id": "f", "file": "k", "at": "t", "execution": "e"})
    assert error == "Unhandled"
    assert payload["errorType"] == "InvalidPayloadError"
    assert payload["errorMessage"] == "payload has no records"

    invoke(engine, resources.PREPARE.name, {})  # cold start
    prepare = engine.lambdas.function_named(resources.PREPARE.name, engine.region).idle[0]
    assert prepare.CONFIG.chunk_records == 7  # from the function's environment, not the process's
    assert "CHUNK_RECORDS" not in os.environ
    assert prepare.CONFIG.orders_table == resources.ORDERS.name


def test_engine_cold_start_fails_like_lambda_when_the_functions_config_is_incomplete(engine):
    lam = engine.client("lambda")
    name = resources.CHUNK_FAILED.name
    variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    del variables["AUDIT_TABLE"]
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    function = engine.lambdas.function_named(name, engine.region)
    assert function.cold_starts == 0
    assert "AUDIT_TABLE" not in function.environment
    assert "AUDIT_TABLE" not in os.environ

    error, payload = invoke(engine, name, {})

    assert error == "Unhandled"
    assert payload["errorType"] == "ConfigError"
    assert payload["errorMessage"] == "AUDIT_TABLE is not set"
    assert function.cold_starts == 1
    assert function.idle == []  # a failed cold start leaves no environment behind


def test_engine_gives_each_concurrent_invocation_its_own_execution_environment(engine):
    function = engine.lambdas.function_named(resources.FINALIZE.name, engine.region)
    first, second = function.acquire(), function.acquire()  # two invocations at once: two cold starts
    assert first is not second and first.obs.metrics is not second.obs.metrics
    function.release(first)
    function.release(second)
    assert function.acquire() in (first, second)  # warm: reused, not started again


def test_engine_throttles_beyond_reserved_concurrency(engine):
    function = engine.lambdas.function_named(resources.FINALIZE.name, engine.region)
    assert function.slots is not None
    for _ in range(resources.FINALIZE.reserved_concurrency):
        assert function.slots.acquire(blocking=False)
    try:
        with pytest.raises(ClientError) as caught:
            no_retries(engine).invoke(FunctionName=resources.FINALIZE.name, Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    finally:
        for _ in range(resources.FINALIZE.reserved_concurrency):
            function.slots.release()
    error, payload = invoke(engine, resources.FINALIZE.name, {})  # a slot is free again: the handler runs
    assert (error, payload["errorType"]) == ("Unhandled", "InvalidPayloadError")


def create_function(engine: Engine, name: str, handler: str = PROBE_HANDLER, **configuration: Any) -> str:
    """CreateFunction, plain boto3: the handler runs from the engine's code root, not from the package."""
    arn: str = engine.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler=handler,
        Code={"ZipFile": PLACEHOLDER_CODE},
        **configuration,
    )["FunctionArn"]
    return arn


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def test_engine_runs_any_function_created_through_the_lambda_api(engine, tmp_path, monkeypatch):
    # pytest's capture puts its own sys.stdout in place for each test, over the engine's
    monkeypatch.setattr(sys, "stdout", RoutedStdout(sys.stdout, engine.lambdas.logs))
    arn = create_function(
        engine, "probe", MemorySize=256, Timeout=10, Environment={"Variables": {"PROBE_GREETING": "hello"}}
    )
    lam = engine.client("lambda")
    lam.put_function_concurrency(FunctionName="probe", ReservedConcurrentExecutions=1)

    error, answer = invoke(engine, "probe", {})
    assert error is None
    assert answer["greeting"] == "hello"  # its own environment, read by its real module at cold start
    assert (answer["function"], answer["memory"]) == ("probe", "256")
    assert answer["context"] == ["probe", 256, arn]
    assert 0 < answer["remaining_ms"] <= 10_000
    assert "PROBE_GREETING" not in os.environ
    assert engine.log_dir is not None
    engine.lambdas.logs.flush()
    assert (engine.log_dir / "probe.log").read_text(encoding="utf-8") == "probe says hello\n"

    # One invocation holds the only slot: a second one is throttled, as on Lambda.
    held: dict[str, Any] = {}
    holder = threading.Thread(target=lambda: held.update(answer=invoke(engine, "probe", {"gate": str(tmp_path)})))
    holder.start()
    try:
        wait_for(tmp_path / "entered")
        with pytest.raises(ClientError) as caught:
            no_retries(engine).invoke(FunctionName="probe", Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    finally:
        (tmp_path / "release").touch()
        holder.join(timeout=30)
    assert held["answer"][0] is None
    assert invoke(engine, "probe", {})[0] is None  # the slot is free again

    # A configuration change starts new execution environments, which read the new environment.
    lam.update_function_configuration(FunctionName="probe", Environment={"Variables": {"PROBE_GREETING": "again"}})
    assert invoke(engine, "probe", {})[1]["greeting"] == "again"


def test_engine_runs_a_function_without_reserved_concurrency_unthrottled(engine):
    create_function(engine, "probe-unreserved", Environment={"Variables": {"PROBE_GREETING": "hi"}})
    function = engine.lambdas.function_named("probe-unreserved", engine.region)
    assert function.slots is None
    assert (function.config.memory_mb, function.config.timeout_s) == (128, 3)  # Lambda's defaults
    assert invoke(engine, "probe-unreserved", {})[1]["greeting"] == "hi"


def test_engine_fails_an_invocation_whose_handler_is_not_under_the_code_root(engine):
    create_function(engine, "probe-missing", handler="tests.engine.functional.no_such_module.handler")
    error, payload = invoke(engine, "probe-missing", {})
    assert (error, payload["errorType"]) == ("Unhandled", "EngineError")
    assert payload["errorMessage"].startswith("cannot load handler tests.engine.functional.no_such_module.handler")


# ------------------------------------------------------------------ timeouts


def test_moto_alone_never_times_out_a_function(plain_moto):
    timed = plain_moto["lambda_timeout"]  # Timeout 1, a handler that sleeps 2 s
    assert (timed["error"], timed["payload"]) == (None, {"slow": 1})  # echoed at once: its code never ran
    assert timed["elapsed_s"] < 1


def test_engine_stops_a_function_past_its_timeout_at_its_next_call(engine):
    create_function(engine, "probe-timeout", handler=FAULT_HANDLER, Timeout=1)
    function = engine.lambdas.function_named("probe-timeout", engine.region)
    ddb, table = engine.client("dynamodb"), engine.stack.orders_table

    def put(key: str) -> dict[str, Any]:
        return {
            "service": "dynamodb",
            "operation": "put_item",
            "params": {"TableName": table, "Item": {"OrderId": {"S": key}}},
        }

    def stored(key: str) -> bool:
        return "Item" in ddb.get_item(TableName=table, Key={"OrderId": {"S": key}}, ConsistentRead=True)

    # In time: it runs, and the context counts down from its timeout.
    error, answer = invoke(engine, "probe-timeout", {"calls": [put("in-time")]})
    assert error is None and 0 < answer["remaining_ms"] <= 1000
    assert stored("in-time")

    # Past it: stopped at the call, which never reaches DynamoDB, and so is the call its `finally` makes.
    error, answer = invoke(engine, "probe-timeout", {"sleep_s": 1.2, "calls": [put("late")], "finally": put("finally")})
    assert error == "Unhandled"
    assert answer["errorType"] == "Sandbox.Timedout"
    assert answer["errorMessage"].startswith("RequestId: ")
    assert answer["errorMessage"].endswith(" Error: Task timed out after 1.00 seconds")
    assert not stored("late") and not stored("finally")
    assert function.idle == []  # its environment is discarded: the next invocation cold-starts
    cold_starts = function.cold_starts

    # Returning past it with no call in between: Lambda would have stopped it before it could return.
    error, answer = invoke(engine, "probe-timeout", {"sleep_s": 1.2})
    assert (error, answer["errorType"]) == ("Unhandled", "Sandbox.Timedout")
    assert function.cold_starts == cold_starts + 1
