"""A Lambda function invoked synchronously with a JSON payload (the CLI sends corrections to the redrive)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from services.domain import json_codec
from services.errors import ServiceError

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_lambda import LambdaClient


class FunctionFailedError(ServiceError):
    """The function raised: its error type and message, as Lambda reports them."""


class LambdaFunction:
    def __init__(self, name: str, client: LambdaClient | None = None) -> None:
        self.name = name
        self._client = client or boto3.client("lambda")

    def invoke(self, payload: Any) -> Any:
        """The function's answer to `payload`; FunctionFailedError when it raised, or when Lambda could not be
        reached or answered late (botocore's retries included): the message says what happened."""
        try:
            response = self._client.invoke(FunctionName=self.name, Payload=json_codec.dumps(payload).encode())
            answer = json.loads(response["Payload"].read() or b"{}")
        except (BotoCoreError, ClientError) as error:
            raise FunctionFailedError(f"{self.name} did not answer: {error}") from error
        if response.get("FunctionError"):
            raise FunctionFailedError(f"{answer.get('errorType')}: {answer.get('errorMessage')}")
        return answer
