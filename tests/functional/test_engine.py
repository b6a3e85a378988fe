"""The embedded engine's additions to moto, its process settings, and its metering.

Each addition is tested twice: moto's own behaviour first (in a subprocess, because engine.install() patches
moto's classes process-wide and for good), then the engine's. When a moto upgrade changes the first half,
the addition may be redundant or broken: these tests say which.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from salesdq import engine as engine_module
from salesdq import resources
from salesdq.engine import Engine
from services.dal.executions import ExecutionNotFoundError, Executions, execution_arn

PLAIN_MOTO = r"""
import io, json, time, zipfile
import boto3
from moto import mock_aws
import moto.sqs.models as sqs_models

builds = {"n": 0}
real = sqs_models.Queue.approximate_number_of_messages
def counting(self):
    builds["n"] += 1
    return real.fget(self)
sqs_models.Queue.approximate_number_of_messages = property(counting)

def wait(sfn, arn):
    for _ in range(600):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.05)
    return d

out = {}
R = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/r"
with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
    iam = boto3.client("iam", region_name=R)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=R)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("h.py", "def handler(event, context):\n    raise RuntimeError('real code ran')\n")
    lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="h.handler",
                        Code={"ZipFile": archive.getvalue()}, Environment={"Variables": {"X": "1"}})
    response = lam.invoke(FunctionName="f", Payload=json.dumps({"hello": 1}))
    out["lambda"] = {"error": response.get("FunctionError"), "payload": json.loads(response["Payload"].read())}

    sqs = boto3.client("sqs", region_name=R)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    before = builds["n"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    out["sqs_builds_per_send"] = builds["n"] - before

    sfn = boto3.client("stepfunctions", region_name=R)
    small_out = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
    machine = sfn.create_state_machine(name="m", definition=small_out, roleArn=ROLE)["stateMachineArn"]
    big = json.dumps({"x": "a" * (300 * 1024)})
    d = wait(sfn, sfn.start_execution(stateMachineArn=machine, input=big)["executionArn"])
    out["big_input"] = [d["status"], d.get("error")]
    big_result = {"x": "a" * (300 * 1024)}
    big_out = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": big_result, "End": True}}})
    machine2 = sfn.create_state_machine(name="m2", definition=big_out, roleArn=ROLE)["stateMachineArn"]
    d = wait(sfn, sfn.start_execution(stateMachineArn=machine2, input="{}")["executionArn"])
    out["big_output"] = [d["status"], d.get("error")]

    s3 = boto3.client("s3", region_name=R)
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="plain-bucket", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = boto3.client("events", region_name=R)
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["aws.s3"]}))
    target = sfn.create_state_machine(name="m3", definition=small_out, roleArn=ROLE)["stateMachineArn"]
    events.put_targets(Rule="rule", Targets=[{"Id": "t", "Arn": target, "RoleArn": ROLE}])
    s3.put_object(Bucket="plain-bucket", Key="in/a.json", Body=b"[]")
    out["executions_after_put"] = len(sfn.list_executions(stateMachineArn=target)["executions"])
print("RESULT " + json.dumps(out))
"""

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


@pytest.fixture(scope="module")
def plain_moto() -> dict[str, Any]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_MOTO], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    saved = {name: os.environ.pop(name) for name in ("AUDIT_TABLE", "CHUNK_RECORDS") if name in os.environ}
    with Engine(chunk_records=7) as running:
        yield running
    os.environ.update(saved)


def start(sfn: Any, machine: str, payload: str) -> str:
    return sfn.start_execution(stateMachineArn=machine, name=str(uuid.uuid4()), input=payload)["executionArn"]


def wait(sfn: Any, arn: str) -> dict[str, Any]:
    for _ in range(600):
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


def invoke(engine: Engine, function: resources.FunctionSpec, payload: dict[str, Any]) -> tuple[str | None, Any]:
    response = engine.client("lambda").invoke(FunctionName=function.name, Payload=json.dumps(payload))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def pass_machine(engine: Engine, name: str, result: Any) -> str:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}
    return engine.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=engine_module.ROLE_ARN
    )["stateMachineArn"]


# ------------------------------------------------------------------ 1. Lambda runs the real handler


def test_moto_alone_echoes_a_lambda_payload(plain_moto):
    assert plain_moto["lambda"] == {"error": None, "payload": {"hello": 1}}


def test_engine_runs_the_real_handler_under_the_functions_own_environment(engine):
    error, payload = invoke(engine, resources.FINALIZE, {"file_id": "f", "file": "k", "at": "t", "execution": "e"})
    assert error == "Unhandled"
    assert payload["errorType"] == "InvalidEventError"
    assert payload["errorMessage"] == "payload has no records"

    invoke(engine, resources.PREPARE, {})  # cold start
    prepare = engine._functions[resources.PREPARE.name].idle[0]
    assert prepare.CONFIG.chunk_records == 7  # from the function's environment, not the process's
    assert "CHUNK_RECORDS" not in os.environ
    assert prepare.CONFIG.orders_table == resources.ORDERS.name


def test_engine_cold_start_fails_like_lambda_when_the_functions_config_is_incomplete(engine):
    function = engine._functions[resources.CHUNK_FAILED.name]
    assert function.cold_starts == 0
    del function.environment["AUDIT_TABLE"]
    assert "AUDIT_TABLE" not in os.environ

    error, payload = invoke(engine, resources.CHUNK_FAILED, {})

    assert error == "Unhandled"
    assert payload["errorType"] == "ConfigError"
    assert payload["errorMessage"] == "AUDIT_TABLE is not set"
    assert function.idle == []  # a failed cold start leaves no environment behind


def test_engine_gives_each_concurrent_invocation_its_own_execution_environment(engine):
    function = engine._functions[resources.FINALIZE.name]
    first, second = function.acquire(), function.acquire()  # two invocations at once: two cold starts
    assert first is not second and first.obs.metrics is not second.obs.metrics
    function.release(first)
    function.release(second)
    assert function.acquire() in (first, second)  # warm: reused, not started again


def test_engine_throttles_beyond_reserved_concurrency(engine):
    function = engine._functions[resources.FINALIZE.name]
    for _ in range(resources.FINALIZE.reserved_concurrency):
        assert function.slots.acquire(blocking=False)
    try:
        no_retries = boto3.client("lambda", region_name=engine.region, config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(ClientError) as caught:
            no_retries.invoke(FunctionName=resources.FINALIZE.name, Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    finally:
        for _ in range(resources.FINALIZE.reserved_concurrency):
            function.slots.release()
    error, payload = invoke(engine, resources.FINALIZE, {})  # a slot is free again: the handler runs
    assert (error, payload["errorType"]) == ("Unhandled", "InvalidEventError")


# ------------------------------------------------------------------ 2. EventBridge -> Step Functions


def test_moto_alone_starts_no_execution_for_a_state_machine_target(plain_moto):
    assert plain_moto["executions_after_put"] == 0


def test_engine_starts_one_execution_with_the_s3_event_as_input(engine):
    s3, events, sfn = engine.client("s3"), engine.client("events"), engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-rule-target", {"ok": True})
    s3.create_bucket(Bucket="probe-events")
    s3.put_bucket_notification_configuration(
        Bucket="probe-events", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],  # moto also emits "Object Tags Added" on every PutObject
        "detail": {"bucket": {"name": ["probe-events"]}, "object": {"key": [{"prefix": "in/"}]}},
    }
    events.put_rule(Name="probe-rule", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="probe-rule", Targets=[{"Id": "t", "Arn": machine, "RoleArn": engine_module.ROLE_ARN}])

    s3.put_object(Bucket="probe-events", Key="out/ignored.json", Body=b"[]")  # the pattern does not match
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []

    s3.put_object(Bucket="probe-events", Key="in/a.json", Body=b"[1]")

    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = wait(sfn, execution["executionArn"])
    event = json.loads(described["input"])
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == "probe-events"
    assert event["detail"]["object"]["key"] == "in/a.json"
    assert event["detail"]["object"]["size"] == 3
    assert described["status"] == "SUCCEEDED"
    assert engine.delivery_errors == []
    # the ingest rule only matches its own bucket: nothing started there
    assert sfn.list_executions(stateMachineArn=engine.names.state_machine_arn)["executions"] == []


# ------------------------------------------------------------------ 3. SQS SendMessage in O(1)


def test_moto_alone_builds_every_queue_attribute_on_each_send(plain_moto):
    assert plain_moto["sqs_builds_per_send"] >= 1


def test_engine_sends_without_building_queue_counts_yet_reports_them(engine, monkeypatch):
    from moto.sqs.models import Queue

    builds = {"n": 0}
    real = Queue.approximate_number_of_messages

    def counting(self: Queue) -> int:
        builds["n"] += 1
        return real.fget(self)

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(counting))
    sqs = engine.client("sqs")
    url = engine.names.queue_url

    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b1"}, {"Id": "b", "MessageBody": "b2"}])
    assert builds["n"] == 0

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert builds["n"] >= 1
    assert attributes["ApproximateNumberOfMessages"] == "7"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    for name, value in resources.QUARANTINE.attributes.items():
        assert attributes[name] == value
    assert attributes["QueueArn"].endswith(":" + resources.QUARANTINE.name)
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert one == {"VisibilityTimeout": "120"}


# ------------------------------------------------------------------ 4. States.DataLimitExceeded on input


def test_moto_alone_accepts_an_oversize_state_input_but_not_an_oversize_output(plain_moto):
    assert plain_moto["big_input"] == ["SUCCEEDED", None]
    # moto already checks outputs: if this ever fails, it stopped; if big_input fails, our addition is redundant
    assert plain_moto["big_output"] == ["FAILED", "States.DataLimitExceeded"]


def test_engine_fails_a_state_whose_input_is_over_256_kib(engine):
    sfn = engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-input-limit", {"ok": True})

    too_big = wait(sfn, start(sfn, machine, json.dumps({"x": "a" * (257 * 1024)})))
    fits = wait(sfn, start(sfn, machine, json.dumps({"x": "a" * (200 * 1024)})))

    assert (too_big["status"], too_big.get("error")) == ("FAILED", "States.DataLimitExceeded")
    assert "received an input larger than 256 KiB" in too_big.get("cause", "")
    assert fits["status"] == "SUCCEEDED"
    assert json.loads(fits["output"]) == {"ok": True}


def test_engine_still_fails_an_oversize_output(engine):
    sfn = engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-output-limit", {"x": "a" * (300 * 1024)})
    described = wait(sfn, start(sfn, machine, "{}"))
    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")


# ------------------------------------------------------------------ metering


def write_units(engine: Engine, call: Any) -> int:
    before = engine.usage.snapshot()
    call()
    return engine.usage.minus(before).dynamodb_write_units


def test_metering_counts_dynamodb_write_units(engine):
    ddb = engine.client("dynamodb")
    orders, audit = resources.ORDERS.name, resources.AUDIT.name

    def put(table: str, item: dict[str, Any]) -> int:
        return write_units(engine, lambda: ddb.put_item(TableName=table, Item=item))

    assert put(orders, {"OrderId": {"S": "M-1"}, "qty": {"N": "1"}}) == 1
    blob = {"OrderId": {"S": "M-2"}, "blob": {"S": "x" * 3000}}  # 3,013 bytes
    assert put(orders, blob) == 3
    assert put(orders, {"OrderId": {"S": "M-3"}, "blob": {"S": "x" * 1100}}) == 2
    event = {"pk": {"S": "FILE#f"}, "sk": {"S": "EVENT#t#file.accepted"}, "at": {"S": "t"}}
    assert put(audit, event) == 1  # no "day": not in the by-day index
    assert put(audit, {**event, "day": {"S": "2024-01-01"}}) == 2  # base item + its GSI copy
    assert put(audit, {**event, "day": {"S": "2024-01-01"}, "pad": {"S": "p" * 2000}}) == 6

    batch = {
        audit: [
            {"PutRequest": {"Item": {**event, "sk": {"S": "a"}, "day": {"S": "2024-01-01"}}}},
            {"PutRequest": {"Item": {**event, "sk": {"S": "b"}}}},
        ]
    }
    assert write_units(engine, lambda: ddb.batch_write_item(RequestItems=batch)) == 3

    # Transactions bill two units per KB: 1 KB and 3 KB items cost 2 + 6.
    transaction = [
        {"Put": {"TableName": orders, "Item": {"OrderId": {"S": "M-4"}}}},
        {"Put": {"TableName": orders, "Item": {**blob, "OrderId": {"S": "M-5"}}}},
    ]
    assert write_units(engine, lambda: ddb.transact_write_items(TransactItems=transaction)) == 8


def test_metering_counts_reads_sqs_and_s3(engine):
    ddb, sqs, s3 = engine.client("dynamodb"), engine.client("sqs"), engine.client("s3")
    before = engine.usage.snapshot()
    ddb.get_item(TableName=resources.ORDERS.name, Key={"OrderId": {"S": "none"}}, ConsistentRead=True)
    sqs.send_message(QueueUrl=engine.names.queue_url, MessageBody="x" * 100_000)  # two 64 KB chunks
    s3.put_object(Bucket=engine.names.bucket, Key="meter/a", Body=b"1")
    s3.get_object(Bucket=engine.names.bucket, Key="meter/a")
    delta = engine.usage.minus(before)
    assert delta.dynamodb_read_units == 1  # a missing item still costs the minimum
    assert delta.sqs_requests == 2
    assert delta.s3_class_a_requests == 1
    assert delta.s3_class_b_requests == 1


def test_metering_bills_a_batch_get_per_requested_key(engine):
    ddb, orders = engine.client("dynamodb"), resources.ORDERS.name
    ddb.put_item(TableName=orders, Item={"OrderId": {"S": "small"}})
    ddb.put_item(TableName=orders, Item={"OrderId": {"S": "big"}, "blob": {"S": "x" * 5000}})  # 2 read units
    keys = [{"OrderId": {"S": key}} for key in ("small", "big", "missing-1", "missing-2")]

    def read_units(consistent: bool) -> float:
        before = engine.usage.snapshot()
        ddb.batch_get_item(RequestItems={orders: {"Keys": keys, "ConsistentRead": consistent}})
        return engine.usage.minus(before).dynamodb_read_units

    assert read_units(consistent=True) == 1 + 2 + 1 + 1
    assert read_units(consistent=False) == 2.5


def test_only_one_engine_at_a_time(engine):
    with pytest.raises(engine_module.EngineError, match="already running"):
        Engine().start()


# ------------------------------------------------------------------ scripts run in a fresh process

_HASH_TABLE = """    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])"""


def _last_line(script: str, engine: bool) -> str:
    """What a script printed last, with moto alone or with the engine's additions installed first."""
    source = script.format(install="from salesdq.engine import install\ninstall()" if engine else "", table=_HASH_TABLE)
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------ 5. DynamoDB Query reads one partition

_QUERY_WALK = """
import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table
walked = []
original = Table.all_items
def counting(self):
    items = original(self)
    walked.append(len(items))
    return items
Table.all_items = counting
{install}
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}, {{"AttributeName": "sk", "KeyType": "RANGE"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}},
                              {{"AttributeName": "sk", "AttributeType": "S"}}])
    for i in range(300):
        ddb.put_item(TableName="t", Item={{"pk": {{"S": f"p{{i % 30}}"}}, "sk": {{"S": f"{{i:04d}}"}}}})
    found = ddb.query(TableName="t", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={{":p": {{"S": "p7"}}}})
    print([item["sk"]["S"] for item in found["Items"]], max(walked, default=0))
"""


def _query_walk(engine: bool) -> tuple[list[str], int]:
    keys, walked = _last_line(_QUERY_WALK, engine).rsplit(" ", 1)
    return json.loads(keys.replace("'", '"')), int(walked)


def test_moto_alone_walks_the_whole_table_to_query_one_partition():
    keys, walked = _query_walk(engine=False)
    assert keys == [f"{i:04d}" for i in range(7, 300, 30)]
    assert walked == 300  # every item of the table, for 10 of one partition


def test_engine_queries_read_only_their_partition():
    keys, walked = _query_walk(engine=True)
    assert keys == [f"{i:04d}" for i in range(7, 300, 30)]  # same answer, in range-key order
    assert walked == 0  # the table was never walked


# ------------------------------------------------------------------ 6. DynamoDB measures an item once

_ITEM_BUILD = """
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType
measured = [0]
original = DynamoType.size
def counting(self):
    measured[0] += 1
    return original(self)
DynamoType.size = counting
{install}
with mock_aws():
{table}
    ddb.put_item(TableName="t", Item={{"pk": {{"S": "w"}}, **{{f"a{{i}}": {{"S": "x"}} for i in range(200)}}}})
    sizes = measured[0]
    outcomes = []
    for n in (404_996, 404_997):  # the item's size: len("pk") + len("k") + len("v") + n
        try:
            ddb.put_item(TableName="t", Item={{"pk": {{"S": "k"}}, "v": {{"S": "x" * n}}}})
            outcomes.append("stored")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Message"])
    print(json.dumps([sizes, outcomes]))
"""


def _item_build(engine: bool) -> tuple[int, list[str]]:
    sizes, outcomes = json.loads(_last_line(_ITEM_BUILD, engine))
    return sizes, outcomes


LIMIT_OUTCOMES = ["stored", "Item size has exceeded the maximum allowed size"]


def test_moto_alone_re_measures_an_item_for_every_attribute_it_adds():
    sizes, outcomes = _item_build(engine=False)
    assert sizes > 200 * 201 // 2  # each attribute added measures all before it: quadratic
    assert outcomes == LIMIT_OUTCOMES  # and refuses an item over 405,000 bytes (engine.MOTO_ITEM_LIMIT_BYTES)


def test_engine_measures_an_item_once_and_refuses_the_same_items():
    sizes, outcomes = _item_build(engine=True)
    assert sizes < 2 * 201  # each attribute once, plus the key checks
    assert outcomes == LIMIT_OUTCOMES
    assert engine_module.MOTO_ITEM_LIMIT_BYTES == 404_996 + 4


# ------------------------------------------------------------------ 7. DynamoDB conditional writes are atomic

_RACE = """
import json, threading, time
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table
original = Table.get_item
def slow_read(self, *args, **kwargs):
    found = original(self, *args, **kwargs)
    time.sleep(0.05)  # between the condition's read and the write: another thread runs here
    return found
Table.get_item = slow_read
{install}
with mock_aws():
{table}
    outcomes = []
    def take(holder):
        try:
            ddb.put_item(TableName="t", Item={{"pk": {{"S": "slot"}}, "holder": {{"S": holder}}}},
                         ConditionExpression="attribute_not_exists(pk)")
            outcomes.append("taken")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    threads = [threading.Thread(target=take, args=(h,)) for h in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(sorted(outcomes)))
"""


def _race(engine: bool) -> list[str]:
    return json.loads(_last_line(_RACE, engine))


def test_moto_alone_lets_two_conditional_puts_of_one_new_key_both_succeed():
    assert _race(engine=False) == ["taken", "taken"]  # both read "no item", both stored: the second overwrote the first


def test_engine_lets_one_conditional_put_succeed_and_fails_the_other():
    outcomes = _race(engine=True)
    assert outcomes == ["ConditionalCheckFailedException", "taken"]


# ------------------------------------------------------------------ process settings


def test_engine_collects_garbage_less_often_while_it_runs_and_restores_the_process_after():
    script = (
        "import gc, json\nfrom salesdq.engine import Engine\nbefore = gc.get_threshold()\n"
        "with Engine():\n    during = gc.get_threshold()\nprint(json.dumps([before, during, gc.get_threshold()]))"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, during, after = json.loads(result.stdout.strip().splitlines()[-1])
    assert tuple(during) == engine_module.GC_THRESHOLDS != tuple(before)
    assert after == before


# ------------------------------------------------------------------ no addition: how an execution ended


def test_engine_reports_how_its_executions_ended_as_prepare_reads_it(engine):
    """Prepare asks how the execution holding a file's claim ended (services/dal/executions.py) by
    an ARN it builds from the machine's; moto answers that for the executions it runs, so the engine adds
    nothing. If a moto upgrade breaks this, a re-upload of a failed file stays a duplicate."""
    sfn = engine.client("stepfunctions")
    ends = {
        "StartAt": "How",
        "States": {
            "How": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.end", "StringEquals": "fail", "Next": "Fail"},
                    {"Variable": "$.end", "StringEquals": "wait", "Next": "Wait"},
                ],
                "Default": "Pass",
            },
            "Fail": {"Type": "Fail", "Error": "Probe", "Cause": "asked to"},
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Pass"},
            "Pass": {"Type": "Pass", "End": True},
        },
    }
    machine = sfn.create_state_machine(name="probe-ends", definition=json.dumps(ends), roleArn=engine_module.ROLE_ARN)[
        "stateMachineArn"
    ]
    statuses = Executions(client=sfn)

    def started(end: str) -> str:
        name = f"probe-{end}-{uuid.uuid4()}"
        described = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"end": end}))
        arn = execution_arn(machine, name)
        assert described["executionArn"] == arn  # the ARN Prepare builds is the one Step Functions gives
        return arn

    succeeded, failed, waiting = started("pass"), started("fail"), started("wait")
    wait(sfn, succeeded)
    wait(sfn, failed)

    assert statuses.status(succeeded) == "SUCCEEDED"
    assert statuses.status(failed) == "FAILED"
    assert statuses.status(waiting) == "RUNNING"
    sfn.stop_execution(executionArn=waiting)
    wait(sfn, waiting)  # moto stops an execution asynchronously, as AWS may
    assert statuses.status(waiting) == "ABORTED"
    with pytest.raises(ExecutionNotFoundError):
        statuses.status(execution_arn(machine, "never-started"))
