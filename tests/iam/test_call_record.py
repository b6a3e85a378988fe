"""The recorder's translation of a request into what AWS authorizes (salesdq_engine.call_record): the IAM action
by AWS's Service Authorization Reference, and the resource ARN; and that it costs nothing when not asked for."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from salesdq import resources
from salesdq_engine import Engine, call_record, request_hooks

IAM_DATA = resources.ROOT / "node_modules" / "@cloud-copilot" / "iam-data" / "data" / "actions"
REGION, ACCOUNT = "us-east-1", call_record.ACCOUNT


def iam_actions(service: str) -> set[str]:
    """The actions of a service in AWS's Service Authorization Reference, lower-cased, as iam-data holds it."""
    return set(json.loads((IAM_DATA / f"{service}.json").read_text(encoding="utf-8")))


def test_each_renamed_operation_is_no_iam_action_and_its_action_is_one() -> None:
    for (service, operation), action in call_record.RENAMED.items():
        actions = iam_actions(service)
        assert operation.lower() not in actions, f"{service}:{operation} is an IAM action: it needs no renaming"
        assert action.lower() in actions, f"{service}:{action} is no IAM action"


@pytest.fixture
def seen() -> Iterator[list[tuple[str, str]]]:
    """Every (action, resource) the recorder derives from the requests sent while the test runs (on plain moto)."""
    calls: list[tuple[str, str]] = []

    def hook(request: Any, proceed: request_hooks.Proceed) -> request_hooks.Response:
        calls.extend(call_record.calls_of(request))
        return proceed(request)

    request_hooks.install()
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        request_hooks.add(hook)
        try:
            yield calls
        finally:
            request_hooks.remove(hook)


def test_s3_requests_are_authorized_as_object_and_bucket_actions(seen: list[tuple[str, str]]) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="bkt")
    s3.put_object(Bucket="bkt", Key="in/a b.json", Body=b"{}")
    seen.clear()
    s3.head_object(Bucket="bkt", Key="in/a b.json")
    s3.get_object(Bucket="bkt", Key="in/a b.json")
    s3.copy_object(Bucket="bkt", Key="out/c.json", CopySource={"Bucket": "bkt", "Key": "in/a b.json"})
    s3.list_objects_v2(Bucket="bkt", Prefix="in/")
    s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "in/a b.json"}, {"Key": "out/c.json"}]})
    assert seen == [
        ("s3:GetObject", "arn:aws:s3:::bkt/in/a b.json"),  # HeadObject
        ("s3:GetObject", "arn:aws:s3:::bkt/in/a b.json"),
        ("s3:GetObject", "arn:aws:s3:::bkt/in/a b.json"),  # CopyObject reads its source...
        ("s3:PutObject", "arn:aws:s3:::bkt/out/c.json"),  # ...and writes its target
        ("s3:ListBucket", "arn:aws:s3:::bkt"),
        ("s3:DeleteObject", "arn:aws:s3:::bkt/in/a b.json"),  # DeleteObjects: each key
        ("s3:DeleteObject", "arn:aws:s3:::bkt/out/c.json"),
    ]


def test_sqs_batches_are_authorized_as_their_single_actions_on_the_queue(seen: list[tuple[str, str]]) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    seen.clear()
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    handle = message["ReceiptHandle"]
    sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": handle, "VisibilityTimeout": 0}]
    )
    sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": handle}])
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
    assert seen == [
        ("sqs:SendMessage", arn),
        ("sqs:ReceiveMessage", arn),
        ("sqs:ChangeMessageVisibility", arn),
        ("sqs:DeleteMessage", arn),
    ]


def test_dynamodb_requests_name_their_table_or_index(seen: list[tuple[str, str]]) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    for name in ("t", "u"):
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "d", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-d",
                    "KeySchema": [{"AttributeName": "d", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    seen.clear()

    def put(pk: str) -> dict[str, Any]:
        return {"PutRequest": {"Item": {"pk": {"S": pk}, "d": {"S": "x"}}}}

    ddb.batch_write_item(RequestItems={"t": [put("1")], "u": [put("2")]})
    ddb.query(
        TableName="t", IndexName="by-d", KeyConditionExpression="d = :d", ExpressionAttributeValues={":d": {"S": "x"}}
    )
    ddb.get_item(TableName="u", Key={"pk": {"S": "1"}})
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
    assert seen == [
        ("dynamodb:BatchWriteItem", f"{table}/t"),
        ("dynamodb:BatchWriteItem", f"{table}/u"),
        ("dynamodb:Query", f"{table}/t/index/by-d"),
        ("dynamodb:GetItem", f"{table}/u"),
    ]


def test_without_the_variable_nothing_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(call_record.ENV, raising=False)
    with Engine():
        assert call_record._recorder is None
        assert not [h for h in request_hooks._hooks if getattr(h, "__self__", None).__class__ is call_record.Recorder]
