"""What the stores raise when AWS could not do what was asked, and which errors are AWS's rather than a record's.

A record is never blamed for AWS: throttling, a lost reply, a busy lease or a refused message fails the chunk,
which the workflow retries and past its retries fails visibly. Only a request AWS refuses for its content
(botocore's own parameter validation, DynamoDB's ValidationException) can be a record's doing.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from services.errors import ServiceError

# Refusals of a request's content: the same request fails every time, so a record in it may be the cause.
CONTENT_ERRORS = frozenset({"ValidationException", "SerializationException"})


# What botocore raises when AWS refuses or cannot be reached: for readers outside the data-access layer (the
# command line reports them in one line) that must not import botocore themselves.
AWS_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)


class StoreError(ServiceError):
    """A store gave up after its bounded retries, or AWS refused for good: the step fails, no outcome is written."""


class UnprocessedError(StoreError):
    """A batch call still left items unprocessed after every retry."""


class MessageRefusedError(StoreError):
    """SQS refused a message for good (SenderFault): resending it cannot succeed."""


def is_aws_failure(error: BaseException) -> bool:
    """Whether the error is AWS's (or a store's retry budget), never the content of a record."""
    if isinstance(error, StoreError):
        return True
    if isinstance(error, ParamValidationError):
        return False
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") not in CONTENT_ERRORS
    return isinstance(error, BotoCoreError)
