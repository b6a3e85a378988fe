"""The request boundary: a chain of hooks around moto's answer to every request an in-process client sends.

moto's BotocoreStubber answers botocore's requests in this process; its process_request is patched once to
run the hooks registered here, outermost first. A hook gets the request and `proceed`, which runs the rest
of the chain and then moto, and returns the response: a (status, headers, body) triple, or None when moto
lets the request pass. Metering calls `proceed` and reads the answer; fault injection (faults.py) may answer
without calling it, or call it with a rewritten request; the Lambda runtime's boundary (lambda_runtime.py),
outermost, stops a handler's call before anything else sees it. Requests that reach `salesdq local up` over
HTTP do not pass here.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import IO
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.common_types import TYPE_RESPONSE

Response = TYPE_RESPONSE | None
Proceed = Callable[[AWSPreparedRequest], Response]
RequestHook = Callable[[AWSPreparedRequest, Proceed], Response]

_hooks: tuple[RequestHook, ...] = ()  # replaced, never mutated: a request in flight keeps the chain it started
_lock = threading.Lock()
_original_process_request = BotocoreStubber.process_request


def add(hook: RequestHook, *, outermost: bool = False) -> None:
    """Put a hook innermost: it runs after (and inside) every hook already added; or, `outermost`, before
    (and around) all of them."""
    global _hooks
    with _lock:
        _hooks = (hook, *_hooks) if outermost else (*_hooks, hook)


def remove(hook: RequestHook) -> None:
    """Take a hook out (a bound method is the same hook as another of the same method and object)."""
    global _hooks
    with _lock:
        _hooks = tuple(h for h in _hooks if h != hook)


def text(value: str | bytes | bytearray | IO[bytes] | IO[str] | None) -> str:
    """A header or body as text (botocore gives str or bytes; only an S3 upload's body is a stream, and no hook
    reads one as text)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode()
    if value is None or isinstance(value, str):
        return value or ""
    raise TypeError("a streamed request body is not read as text")


# SigV4's credential scope: <key id>/<date>/<region>/<service>/aws4_request
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


def signing_scope(request: AWSPreparedRequest) -> tuple[str, str] | None:
    """The (region, service) a request is signed for, as AWS routes and authorizes it whatever host it was sent to
    (an endpoint URL such as `salesdq local up`'s 127.0.0.1 names no service); None for an unsigned request."""
    match = _SCOPE.search(text(request.headers.get("Authorization")))
    return (match.group(1), match.group(2)) if match else None


def service_of(request: AWSPreparedRequest) -> str:
    """The service a request is for: its signing scope's ("dynamodb", "sqs", "s3", "states"...), else its host's
    (virtual-hosted or path style)."""
    if scope := signing_scope(request):
        return scope[1]
    labels = (urlsplit(request.url).hostname or "").split(".")
    return "s3" if "s3" in labels[:-1] else labels[0]


def operation_of(request: AWSPreparedRequest) -> str:
    """The operation of a JSON-protocol request (X-Amz-Target's last part: "PutItem"); "" for REST (S3)."""
    return text(request.headers.get("X-Amz-Target")).rsplit(".", 1)[-1]


def _through(hooks: tuple[RequestHook, ...], stubber: BotocoreStubber, request: AWSPreparedRequest) -> Response:
    if not hooks:
        return _original_process_request(stubber, request)
    return hooks[0](request, functools.partial(_through, hooks[1:], stubber))


def _process_request(self: BotocoreStubber, request: AWSPreparedRequest) -> Response:
    return _through(_hooks, self, request)


@functools.cache
def install() -> None:
    """Route moto's in-process requests through the chain; once per process."""
    BotocoreStubber.process_request = _process_request  # type: ignore[method-assign]
