"""Fixtures of the engine's tests: what plain moto does (run once, in a subprocess) and a running engine.

Each engine addition is tested twice: moto's own behaviour first (in a subprocess, because an addition's
install() patches moto's classes process-wide and for good), then the engine's. When a moto upgrade changes
the first half, the addition may be redundant or broken: these tests say which.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from salesdq_engine import Engine

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
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("slow.py", "import time\ndef handler(event, context):\n    time.sleep(2)\n")
    lam.create_function(FunctionName="slow", Runtime="python3.12", Role=role, Handler="slow.handler",
                        Code={"ZipFile": archive.getvalue()}, Timeout=1)
    started = time.perf_counter()
    response = lam.invoke(FunctionName="slow", Payload=json.dumps({"slow": 1}))
    out["lambda_timeout"] = {"error": response.get("FunctionError"), "payload": json.loads(response["Payload"].read()),
                             "elapsed_s": time.perf_counter() - started}

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
    fails = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Probe"}}}
    retry = [{"ErrorEquals": ["Probe"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    retried = {"StartAt": "Try",
               "States": {"Try": {"Type": "Parallel", "Branches": [fails], "Retry": retry, "End": True}}}
    machine5 = sfn.create_state_machine(name="m5", definition=json.dumps(retried), roleArn=ROLE)["stateMachineArn"]
    started = time.perf_counter()
    d = wait(sfn, sfn.start_execution(stateMachineArn=machine5, input="{}")["executionArn"])
    history = sfn.get_execution_history(executionArn=d["executionArn"])["events"]
    attempts = sum(e["type"] == "ParallelStateStarted" for e in history)
    out["retry"] = {"status": d["status"], "error": d.get("error"), "attempts": attempts,
                    "elapsed_s": time.perf_counter() - started}

    child = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "F"}],
              "Default": "P"},
        "F": {"Type": "Fail", "Error": "Probe", "Cause": "asked to"}, "P": {"Type": "Pass", "End": True}}}
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **child}
    mapped = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor,
                                               "End": True}}}
    machine6 = sfn.create_state_machine(name="m6", definition=json.dumps(mapped), roleArn=ROLE)["stateMachineArn"]
    items = {"items": [{"fail": False}, {"fail": True}, {"fail": False}]}
    d = wait(sfn, sfn.start_execution(stateMachineArn=machine6, input=json.dumps(items))["executionArn"])
    history = sfn.get_execution_history(executionArn=d["executionArn"])["events"]
    out["map_failed_child"] = {"status": d["status"], "error": d.get("error"), "output": d.get("output"),
                               "map_run": [e["type"] for e in history if e["type"].startswith("MapRun")]}

    s3 = boto3.client("s3", region_name=R)
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="plain-bucket", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    events = boto3.client("events", region_name=R)
    queue = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    created = {"source": ["aws.s3"], "detail-type": ["Object Created"]}
    events.put_rule(Name="to-queue", EventPattern=json.dumps(created))  # before "rule", whose target raises
    events.put_targets(Rule="to-queue", Targets=[{"Id": "q", "Arn": queue_arn}])
    for body in (b"[1]", b"[2]"):  # two writes to one key
        s3.put_object(Bucket="plain-bucket", Key="seq/a.json", Body=body)
    sent = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    out["s3_events"] = [{"id": e["id"], "sequencer": e["detail"]["object"]["sequencer"],
                         "request-id": e["detail"]["request-id"]} for e in sent]
    sqs.delete_queue(QueueUrl=queue)
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["aws.s3"]}))
    target = sfn.create_state_machine(name="m3", definition=small_out, roleArn=ROLE)["stateMachineArn"]
    events.put_targets(Rule="rule", Targets=[{"Id": "t", "Arn": target, "RoleArn": ROLE}])
    s3.put_object(Bucket="plain-bucket", Key="in/a.json", Body=b"[]")
    out["executions_after_put"] = len(sfn.list_executions(stateMachineArn=target)["executions"])
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="package")
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
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One engine per test module (chunks of 7 records), with its Lambda logs in a temporary directory."""
    saved = {name: os.environ.pop(name) for name in ("AUDIT_TABLE", "CHUNK_RECORDS") if name in os.environ}
    with Engine(chunk_records=7, log_dir=tmp_path_factory.mktemp("lambda-logs")) as running:
        yield running
    os.environ.update(saved)
