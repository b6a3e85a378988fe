"""Fault injection: each fault, at rate 1 on a minimal function or request, does exactly what it says (applied or
not, the answer botocore sees, the count injected), at rate 0 nothing happens, a seed reproduces its decisions,
and through the real workflow a fault shows as AWS would show it.

Plain moto injects no faults and has no plan to give it, so there is no moto half here: each test is of the
engine alone. Each test starts an engine of its own with its plan (the module's `engine` fixture is not used).
The functions run tests/engine/functional/fault_handler.py, which makes the calls its event lists; the test's
own requests, outside any invocation, are never faulted, so what it reads afterwards is the stores' true state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from salesdq import resources
from salesdq_engine import FAULT_NAMES, Engine, FaultPlan, FaultSpecError, parse_faults
from salesdq_engine.provisioning import PLACEHOLDER_CODE, ROLE_ARN

from .helpers import pass_machine, wait

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

HANDLER = "tests.engine.functional.fault_handler.handler"
FUNCTION = "probe-faults"
NO_FAULTS = dict.fromkeys(FAULT_NAMES, 0)


@pytest.fixture(autouse=True)
def _process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUDIT_TABLE", "CHUNK_RECORDS"):  # as the engine fixture does: a function's own must count
        monkeypatch.delenv(name, raising=False)


@contextmanager
def running(tmp_path: Path, rates: dict[str, float], **plan: Any) -> Iterator[Engine]:
    """An engine with the plan, and FUNCTION (the fault handler) created through the Lambda API."""
    timeout = plan.pop("timeout", 60)
    with Engine(faults=FaultPlan(rates=rates, **plan), log_dir=tmp_path / "logs", retry_wait_scale=0.01) as engine:
        create_function(engine, FUNCTION, Timeout=timeout)
        yield engine


def create_function(engine: Engine, name: str, **configuration: Any) -> None:
    engine.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler=HANDLER,
        Code={"ZipFile": PLACEHOLDER_CODE},
        **configuration,
    )


def lambda_client(engine: Engine, attempts: int = 1) -> Any:
    return boto3.client("lambda", region_name=engine.region, config=Config(retries={"total_max_attempts": attempts}))


def invoke(engine: Engine, event: dict[str, Any], function: str = FUNCTION) -> tuple[str | None, Any]:
    response = lambda_client(engine).invoke(FunctionName=function, Payload=json.dumps(event))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def results(engine: Engine, *calls: dict[str, Any], function: str = FUNCTION) -> list[dict[str, Any]]:
    """What each call returned inside an invocation that made them in turn."""
    error, payload = invoke(engine, {"calls": list(calls)}, function)
    assert error is None, payload
    found: list[dict[str, Any]] = payload["results"]
    return found


def call(service: str, operation: str, attempts: int = 1, **params: Any) -> dict[str, Any]:
    return {"service": service, "operation": operation, "params": params, "attempts": attempts}


def put(engine: Engine, key: str, attempts: int = 1, **extra: Any) -> dict[str, Any]:
    assert engine.stack is not None
    return call(
        "dynamodb", "put_item", attempts, TableName=engine.stack.orders_table, Item={"OrderId": {"S": key}}, **extra
    )


def stored(engine: Engine) -> set[str]:
    assert engine.stack is not None
    items = engine.client("dynamodb").scan(TableName=engine.stack.orders_table, ConsistentRead=True)["Items"]
    return {item["OrderId"]["S"] for item in items}


def queued(engine: Engine) -> list[str]:
    assert engine.stack is not None
    sqs, bodies, url = engine.client("sqs"), [], engine.stack.quarantine_queue_url
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
    return sorted(bodies)


def injected(engine: Engine, **counts: int) -> dict[str, int]:
    return {**NO_FAULTS, **counts}


# ------------------------------------------------------------------------------------- the plan


def test_parse_faults_reads_a_command_line_spec():
    spec = " ddb-throttle=0.1, lambda-crash=1 ,s3-error=0,event-duplicate=.5 "
    assert parse_faults(spec) == {"ddb-throttle": 0.1, "lambda-crash": 1.0, "s3-error": 0.0, "event-duplicate": 0.5}
    assert parse_faults("") == {}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("ddb-trottle=0.1", "no fault is named 'ddb-trottle'"),
        ("ddb-throttle=1.5", "outside 0..1"),
        ("ddb-throttle=-0.1", "outside 0..1"),
        ("ddb-throttle=nan", "outside 0..1"),
        ("ddb-throttle=often", "not a number"),
        ("ddb-throttle", "not NAME=RATE"),
        ("ddb-throttle=0.1,ddb-throttle=0.2", "given twice"),
    ],
)
def test_parse_faults_refuses_a_bad_spec_naming_every_fault(spec, problem):
    with pytest.raises(FaultSpecError) as refused:
        parse_faults(spec)
    message = str(refused.value)
    assert problem in message
    assert all(name in message for name in FAULT_NAMES)
    assert isinstance(refused.value, ValueError)


def test_a_fault_plan_refuses_what_parse_faults_refuses():
    with pytest.raises(FaultSpecError, match=r"no fault is named 'nope'.*lambda-throttle"):
        FaultPlan(rates={"nope": 1.0})
    with pytest.raises(FaultSpecError, match=r"outside 0\.\.1"):
        FaultPlan(rates={"s3-error": 2})
    assert FaultPlan(rates=parse_faults("s3-error=1")).rate("s3-error") == 1.0
    assert FaultPlan().rate("s3-error") == 0.0
    with pytest.raises(ValueError, match="retry wait scale"):
        Engine(retry_wait_scale=-1)


def test_at_rate_zero_nothing_is_injected_and_every_fault_is_reported(tmp_path):
    with running(tmp_path, dict.fromkeys(FAULT_NAMES, 0.0), seed=3) as engine:
        assert engine.stack is not None
        table, queue, bucket = engine.stack.orders_table, engine.stack.quarantine_queue_url, engine.stack.bucket
        batch = [{"PutRequest": {"Item": {"OrderId": {"S": f"b{i}"}}}} for i in range(5)]
        answers = results(
            engine,
            put(engine, "a"),
            call("dynamodb", "batch_write_item", RequestItems={table: batch}),
            call("dynamodb", "batch_get_item", RequestItems={table: {"Keys": [{"OrderId": {"S": "a"}}]}}),
            call("sqs", "send_message", QueueUrl=queue, MessageBody="one"),
            call("sqs", "send_message_batch", QueueUrl=queue, Entries=[{"Id": "1", "MessageBody": "two"}]),
            call("s3", "put_object", Bucket=bucket, Key="probe/a", Body="x"),
            call("s3", "get_object", Bucket=bucket, Key="probe/a"),
        )
        assert all("ok" in answer and answer["retries"] == 0 for answer in answers), answers
        assert answers[1]["ok"]["UnprocessedItems"] == {}
        assert answers[4]["ok"]["Failed"] == []
        assert stored(engine) == {"a", "b0", "b1", "b2", "b3", "b4"}
        assert queued(engine) == ["one", "two"]
        events_machine = pass_machine(engine, "probe-no-duplicate", {"ok": True})
        executions = deliver_one_event(engine, events_machine, "probe-zero")
        assert len(executions) == 1
        assert engine.faults.injected() == NO_FAULTS
        assert engine.faults.report() == {"seed": 3, "rates": {}, "functions": None, "injected": NO_FAULTS}


def test_an_engine_without_a_plan_reports_every_fault_at_zero():
    assert Engine().faults.injected() == NO_FAULTS


# ------------------------------------------------------------------------------------- Lambda


def test_lambda_throttle_answers_429_before_the_handler_runs(tmp_path):
    with running(tmp_path, {"lambda-throttle": 1.0}) as engine:
        with pytest.raises(ClientError) as throttled:
            lambda_client(engine).invoke(FunctionName=FUNCTION, Payload=b"{}")
        error = throttled.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "TooManyRequestsException",
            429,
        )
        assert engine.lambdas.function_named(FUNCTION, engine.region).cold_starts == 0  # it never ran
        assert engine.usage.lambda_requests == 0  # a throttled invocation is not billed
        assert engine.faults.injected() == injected(engine, **{"lambda-throttle": 1})

        with pytest.raises(ClientError) as retried:  # botocore retries a 429 as a throttle
            lambda_client(engine, attempts=2).invoke(FunctionName=FUNCTION, Payload=b"{}")
        assert retried.value.response["ResponseMetadata"]["RetryAttempts"] == 1
        assert engine.faults.injected() == injected(engine, **{"lambda-throttle": 3})


def test_lambda_crash_kills_the_function_at_a_call_that_never_reaches_aws(tmp_path):
    with running(tmp_path, {"lambda-crash": 1.0}, seed=11) as engine:
        function = engine.lambdas.function_named(FUNCTION, engine.region)
        calls = [put(engine, f"k{i:02d}") for i in range(25)]
        error, payload = invoke(engine, {"calls": calls, "finally": put(engine, "finally")})

        assert error == "Unhandled"
        assert payload["errorType"] == "Runtime.ExitError"
        assert payload["errorMessage"].startswith("RequestId: ")
        assert payload["errorMessage"].endswith(" Error: Runtime exited with error: signal: killed")
        reached = stored(engine)
        n = len(reached)
        assert n <= 20  # it died at one of its first 21 calls
        assert reached == {f"k{i:02d}" for i in range(n)}  # every call before it, none from it on
        assert "finally" not in reached  # its `finally` block's call was refused too: a dead function makes none
        assert engine.faults.injected() == injected(engine, **{"lambda-crash": 1})
        assert function.cold_starts == 1 and function.idle == []  # its environment was discarded

        # An invocation that makes no call cannot reach its crash: not killed, not counted.
        assert invoke(engine, {})[0] is None
        assert function.cold_starts == 2
        assert engine.faults.injected() == injected(engine, **{"lambda-crash": 1})


def test_lambda_timeout_runs_an_invocation_past_its_deadline_without_waiting(tmp_path):
    with running(tmp_path, {"lambda-timeout": 1.0}, seed=5, timeout=60) as engine:
        calls = [put(engine, f"k{i:02d}") for i in range(25)]
        started = time.monotonic()
        error, payload = invoke(engine, {"calls": calls, "finally": put(engine, "finally")})

        assert time.monotonic() - started < 30  # not the 60 s of its timeout
        assert error == "Unhandled"
        assert payload["errorType"] == "Sandbox.Timedout"
        assert payload["errorMessage"].endswith(" Error: Task timed out after 60.00 seconds")
        reached = stored(engine)
        assert reached == {f"k{i:02d}" for i in range(len(reached))} and len(reached) <= 20
        engine.lambdas.logs.flush()
        log = (tmp_path / "logs" / f"{FUNCTION}.log").read_text(encoding="utf-8")
        assert "finally remaining_ms 0\n" in log  # the context agrees: no time left
        assert engine.faults.injected() == injected(engine, **{"lambda-timeout": 1})
        assert engine.lambdas.function_named(FUNCTION, engine.region).idle == []


# ------------------------------------------------------------------------------------- DynamoDB


def test_ddb_throttle_answers_a_throttle_botocore_retries_and_applies_nothing(tmp_path):
    with running(tmp_path, {"ddb-throttle": 1.0}) as engine:
        raw, retried = results(engine, put(engine, "raw"), put(engine, "retried", attempts=3))
        assert raw == {"error": "ProvisionedThroughputExceededException", "status": 400, "retries": 0}
        assert retried == {"error": "ProvisionedThroughputExceededException", "status": 400, "retries": 2}
        assert stored(engine) == set()  # the test's own scan is not faulted: nothing was applied
        assert engine.usage.dynamodb_write_units == 0  # nor billed
        assert engine.faults.injected() == injected(engine, **{"ddb-throttle": 4})


def test_ddb_unprocessed_leaves_a_subset_unapplied_and_returns_it(tmp_path):
    with running(tmp_path, {"ddb-unprocessed": 1.0}, seed=2) as engine:
        assert engine.stack is not None
        table = engine.stack.orders_table
        keys = [f"b{i}" for i in range(8)]
        batch = [{"PutRequest": {"Item": {"OrderId": {"S": key}}}} for key in keys]
        before = engine.usage.snapshot()
        (written,) = results(engine, call("dynamodb", "batch_write_item", RequestItems={table: batch}))

        left = {r["PutRequest"]["Item"]["OrderId"]["S"] for r in written["ok"]["UnprocessedItems"][table]}
        assert left and left <= set(keys)
        assert stored(engine) == set(keys) - left  # exactly the others were applied
        assert engine.usage.minus(before).dynamodb_write_units == len(keys) - len(left)  # and billed

        request = {table: {"Keys": [{"OrderId": {"S": key}} for key in keys], "ConsistentRead": True}}
        (read,) = results(engine, call("dynamodb", "batch_get_item", RequestItems=request))
        unread = read["ok"]["UnprocessedKeys"][table]
        assert unread["ConsistentRead"] is True  # the table's request, with the keys not read
        found = {item["OrderId"]["S"] for item in read["ok"]["Responses"].get(table, [])}
        not_read = {key["OrderId"]["S"] for key in unread["Keys"]}
        assert not_read and not_read <= set(keys)
        assert found == (set(keys) - left) - not_read  # every stored key sent was read, none held back
        assert engine.faults.injected() == injected(engine, **{"ddb-unprocessed": 2})


def test_ddb_lost_reply_applies_a_write_then_answers_500_which_botocore_retries(tmp_path):
    with running(tmp_path, {"ddb-lost-reply": 1.0}) as engine:
        new_only = {"ConditionExpression": "attribute_not_exists(OrderId)"}
        plain, conditional, read = results(
            engine,
            put(engine, "plain", attempts=2),
            put(engine, "conditional", attempts=2, **new_only),
            call("dynamodb", "get_item", TableName=engine.stack.orders_table, Key={"OrderId": {"S": "plain"}}),
        )
        assert plain == {"error": "InternalServerError", "status": 500, "retries": 1}
        # The retried conditional write meets its own earlier write; that refusal is a reply, not lost.
        assert conditional == {"error": "ConditionalCheckFailedException", "status": 400, "retries": 1}
        assert read["ok"]["Item"] == {"OrderId": {"S": "plain"}}  # a read is no write: its reply arrives
        assert stored(engine) == {"plain", "conditional"}  # applied, every one
        assert engine.faults.injected() == injected(engine, **{"ddb-lost-reply": 3})


# ------------------------------------------------------------------------------------- SQS


def entries(*bodies: str) -> list[dict[str, str]]:
    return [{"Id": f"e{i}", "MessageBody": body} for i, body in enumerate(bodies)]


def test_sqs_failed_reports_a_subset_failed_retryable_and_sends_the_rest(tmp_path):
    with running(tmp_path, {"sqs-failed": 1.0}, seed=4) as engine:
        bodies = [f"m{i}" for i in range(6)]
        (sent,) = results(
            engine,
            call("sqs", "send_message_batch", QueueUrl=engine.stack.quarantine_queue_url, Entries=entries(*bodies)),
        )
        failed, successful = sent["ok"]["Failed"], sent["ok"]["Successful"]
        assert failed and all(f["SenderFault"] is False and f["Code"] == "InternalError" for f in failed)
        assert {f["Id"] for f in failed}.isdisjoint(s["Id"] for s in successful)
        assert len(failed) + len(successful) == len(bodies)
        assert queued(engine) == sorted(f"m{s['Id'][1:]}" for s in successful)  # the failed ones were not sent
        assert engine.faults.injected() == injected(engine, **{"sqs-failed": 1})


def test_sqs_refused_refuses_one_entry_for_good(tmp_path):
    with running(tmp_path, {"sqs-refused": 1.0}) as engine:
        (sent,) = results(
            engine,
            call(
                "sqs", "send_message_batch", QueueUrl=engine.stack.quarantine_queue_url, Entries=entries("a", "b", "c")
            ),
        )
        (refused,) = sent["ok"]["Failed"]
        assert (refused["SenderFault"], refused["Code"]) == (True, "InvalidMessageContents")
        assert len(sent["ok"]["Successful"]) == 2
        assert len(queued(engine)) == 2
        assert engine.faults.injected() == injected(engine, **{"sqs-refused": 1})


def test_sqs_lost_reply_sends_then_answers_500_which_botocore_retries(tmp_path):
    with running(tmp_path, {"sqs-lost-reply": 1.0}) as engine:
        queue = engine.stack.quarantine_queue_url
        one, batch = results(
            engine,
            call("sqs", "send_message", 2, QueueUrl=queue, MessageBody="one"),
            call("sqs", "send_message_batch", QueueUrl=queue, Entries=entries("two")),
        )
        assert one == {"error": "InternalError", "status": 500, "retries": 1}
        assert batch == {"error": "InternalError", "status": 500, "retries": 0}
        assert queued(engine) == ["one", "one", "two"]  # applied, the retry's too
        assert engine.faults.injected() == injected(engine, **{"sqs-lost-reply": 3})


# ------------------------------------------------------------------------------------- S3


def test_s3_error_answers_slowdown_or_internal_error_and_applies_nothing(tmp_path):
    with running(tmp_path, {"s3-error": 1.0}, seed=1) as engine:
        bucket = engine.stack.bucket
        before = engine.usage.snapshot()
        answers = results(
            engine,
            *[call("s3", "put_object", Bucket=bucket, Key=f"probe/{i}", Body="x") for i in range(8)],
            call("s3", "put_object", 2, Bucket=bucket, Key="probe/retried", Body="x"),
            call("s3", "head_object", Bucket=bucket, Key="probe/0"),
        )
        codes = {(a["error"], a["status"]) for a in answers[:8]}
        assert codes == {("SlowDown", 503), ("InternalError", 500)}  # REST-XML <Error><Code>, both kinds
        assert answers[8]["retries"] == 1 and answers[8]["status"] in (500, 503)
        assert answers[9]["error"] in ("500", "503")  # a HEAD error has no body: botocore reads the status
        assert engine.usage.minus(before).s3_class_a_requests == 0  # not billed
        assert engine.client("s3").list_objects_v2(Bucket=bucket, Prefix="probe/").get("Contents") is None
        assert engine.faults.injected() == injected(engine, **{"s3-error": 11})


# ------------------------------------------------------------------------------------- EventBridge


def deliver_one_event(engine: Engine, machine: str, bucket: str) -> list[dict[str, Any]]:
    """A rule from `bucket`'s Object Created events to `machine`, one PutObject: the executions it started."""
    s3, events, sfn = engine.client("s3"), engine.client("events"), engine.client("stepfunctions")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket]}}}
    events.put_rule(Name=f"{bucket}-rule", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=f"{bucket}-rule", Targets=[{"Id": "t", "Arn": machine, "RoleArn": ROLE_ARN}])
    s3.put_object(Bucket=bucket, Key="a.json", Body=b"[]")
    return [wait(sfn, e["executionArn"]) for e in sfn.list_executions(stateMachineArn=machine)["executions"]]


def test_event_duplicate_starts_two_executions_for_one_event(tmp_path):
    with running(tmp_path, {"event-duplicate": 1.0}) as engine:
        machine = pass_machine(engine, "probe-duplicated", {"ok": True})
        executions = deliver_one_event(engine, machine, "probe-duplicate")
        assert len(executions) == 2
        assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
        assert executions[0]["input"] == executions[1]["input"]  # the same event, twice
        assert executions[0]["name"] != executions[1]["name"]
        assert engine.faults.injected() == injected(engine, **{"event-duplicate": 1})


# ------------------------------------------------------------------------------------- scope and seeds


def test_only_the_plans_functions_are_faulted_and_never_the_callers_own_requests(tmp_path):
    with running(tmp_path, {"ddb-throttle": 1.0, "lambda-throttle": 0.0}, functions=frozenset({FUNCTION})) as engine:
        create_function(engine, "probe-spared")
        (spared,) = results(engine, put(engine, "spared"), function="probe-spared")
        (hit,) = results(engine, put(engine, "hit"))
        assert "ok" in spared
        assert hit["error"] == "ProvisionedThroughputExceededException"
        engine.client("dynamodb").put_item(TableName=engine.stack.orders_table, Item={"OrderId": {"S": "test"}})
        assert stored(engine) == {"spared", "test"}
        assert engine.faults.injected() == injected(engine, **{"ddb-throttle": 1})
        assert engine.faults.report()["functions"] == [FUNCTION]


def _decisions(tmp_path: Path, seed: int) -> list[str]:
    """Which of 40 requests in turn a plan of two faults at 0.5 failed, and how."""
    with running(tmp_path / str(seed), {"ddb-throttle": 0.5, "s3-error": 0.5}, seed=seed) as engine:
        bucket, table = engine.stack.bucket, engine.stack.orders_table
        calls = [
            call("s3", "head_object", Bucket=bucket, Key="none")
            if i % 2
            else call("dynamodb", "get_item", TableName=table, Key={"OrderId": {"S": "none"}})
            for i in range(40)
        ]
        return [str(answer.get("error", "404" if i % 2 else "ok")) for i, answer in enumerate(results(engine, *calls))]


def test_a_seed_reproduces_its_decisions_for_the_same_sequence_of_requests(tmp_path):
    first, again, other = _decisions(tmp_path / "a", 7), _decisions(tmp_path / "b", 7), _decisions(tmp_path, 8)
    assert first == again
    assert first != other
    assert {"ok", "ProvisionedThroughputExceededException", "404"} <= set(first)
    assert {"500", "503"} & set(first)


# ------------------------------------------------------------------------------------- through the workflow


def upload(engine: Engine, records: int) -> str:
    """A sales file of `records` complete orders into the inbox; the state machine's executions follow."""
    assert engine.stack is not None
    orders = [
        {
            "order-info": {"OrderId": f"o{i}", "item-id": "101", "item-desc": "Item", "qty": 1},
            "contact-info": {"name": "Ada Lovelace", "email": "ada@example.com"},
        }
        for i in range(records)
    ]
    key = f"{resources.INCOMING_PREFIX}sales.json"
    engine.client("s3").put_object(Bucket=engine.stack.bucket, Key=key, Body=json.dumps({"orders": orders}).encode())
    return key


def executions(engine: Engine) -> list[dict[str, Any]]:
    assert engine.stack is not None
    sfn = engine.client("stepfunctions")
    started = sfn.list_executions(stateMachineArn=engine.stack.state_machine_arn)["executions"]
    return [wait(sfn, e["executionArn"]) for e in started]


def test_workflow_fails_visibly_naming_the_chunk_when_its_dynamodb_requests_are_throttled(tmp_path, monkeypatch):
    # Two attempts a call (botocore's legacy default for DynamoDB is 10, ~25 s of backoff a call); each still retries.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    plan = FaultPlan(rates={"ddb-throttle": 1.0}, functions=frozenset({resources.VALIDATE_CHUNK.name}))
    with Engine(faults=plan, chunk_records=5, log_dir=tmp_path / "logs", retry_wait_scale=0.01) as engine:
        key = upload(engine, 3)
        (failed,) = executions(engine)
        assert (failed["status"], failed["error"]) == ("FAILED", "RunFailed")
        cause = failed["cause"]
        assert cause.startswith(f"{key}: chunk 0 of partition 0 (")
        assert "failed after its retries: ProvisionedThroughputExceededException:" in cause
        assert cause.endswith("(upload the file again to continue the run)")
        assert stored(engine) == set()
        # Five attempts of the chunk by the workflow's Retry, each a throttled call retried once by botocore.
        assert engine.faults.injected() == injected(engine, **{"ddb-throttle": 5 * 2})


def test_workflow_under_a_duplicate_delivery_does_the_work_once(tmp_path):
    with Engine(
        faults=FaultPlan(rates={"event-duplicate": 1.0}), log_dir=tmp_path / "logs", retry_wait_scale=0.01
    ) as engine:
        upload(engine, 4)
        both = executions(engine)
        assert len(both) == 2 and {e["status"] for e in both} == {"SUCCEEDED"}
        outputs = {e["name"]: json.loads(e["output"]) for e in both}
        (redelivered,) = [name for name, output in outputs.items() if output.get("status") == "redelivered"]
        (holder,) = set(outputs) - {redelivered}
        assert outputs[redelivered]["holder"] == holder  # it names the execution doing the work
        assert stored(engine) == {f"o{i}" for i in range(4)}
        assert engine.faults.injected() == injected(engine, **{"event-duplicate": 1})


def test_paused_faults_inject_nothing_and_resume_after_the_block(tmp_path):
    with running(tmp_path, {"lambda-throttle": 1.0}) as engine:
        with engine.faults.paused():
            assert invoke(engine, {"calls": []})[0] is None  # ran: no throttle while paused
        assert engine.faults.injected() == NO_FAULTS
        with pytest.raises(ClientError):
            lambda_client(engine).invoke(FunctionName=FUNCTION, Payload=b"{}")
        assert engine.faults.injected() == injected(engine, **{"lambda-throttle": 1})
