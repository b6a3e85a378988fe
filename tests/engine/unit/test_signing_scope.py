"""A request sent to an endpoint URL (`salesdq local up`'s 127.0.0.1) names no service in its host: the engine
reads the service and region from its SigV4 signature, as AWS routes and authorizes it. Read from the host, a
call of a function whose client names that endpoint was `127:DescribeExecution` in the IAM record, and the faults
and metering by service did not see it."""

from __future__ import annotations

import contextlib
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest

from salesdq_engine import call_record, request_hooks


class _SentError(Exception):
    """The request was signed and is on its way out: captured, and stopped there."""


def _sent(service: str, region: str, call: str, **params: Any) -> AWSPreparedRequest:
    """The request a real client signs and would send to http://127.0.0.1:1."""
    client = boto3.client(
        service,
        region_name=region,
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    captured: list[AWSPreparedRequest] = []

    def answer(request: AWSPreparedRequest, **_: Any) -> None:
        captured.append(request)
        raise _SentError  # stops it before it leaves

    client.meta.events.register("before-send", answer)
    with contextlib.suppress(_SentError):
        getattr(client, call)(**params)
    (request,) = captured[:1]
    return request


def test_a_request_to_an_endpoint_url_is_the_service_and_region_it_is_signed_for() -> None:
    arn = "arn:aws:states:eu-west-1:123456789012:execution:salesdq-ingest:x"
    states = _sent("stepfunctions", "eu-west-1", "describe_execution", executionArn=arn)
    assert request_hooks.signing_scope(states) == ("eu-west-1", "states")
    assert request_hooks.service_of(states) == "states"
    assert call_record.calls_of(states) == [("states:DescribeExecution", arn)]

    table = _sent("dynamodb", "eu-west-1", "get_item", TableName="t", Key={"k": {"S": "v"}})
    assert request_hooks.service_of(table) == "dynamodb"
    assert call_record.calls_of(table) == [
        ("dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{call_record.ACCOUNT}:table/t")
    ]


def test_an_unsigned_request_is_read_from_its_host() -> None:
    signed = _sent("sqs", "us-east-1", "list_queues")
    unsigned = AWSPreparedRequest("GET", "https://sqs.us-east-1.amazonaws.com/", {}, None, None)
    assert request_hooks.signing_scope(unsigned) is None
    assert request_hooks.service_of(unsigned) == request_hooks.service_of(signed) == "sqs"
