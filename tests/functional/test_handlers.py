"""The Lambda handlers as Lambda runs them: config from the environment at import, payloads from the workflow."""

from __future__ import annotations

import importlib
import json
import os
import sys
from types import ModuleType
from typing import Any

import pytest

from salesdq import resources
from services.domain import quarantine_message
from services.domain.payloads import InvalidPayloadError
from services.domain.run import Run
from services.runtime.config import ConfigError

from .conftest import BUCKET, Aws

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

PREPARE = "services.ingest.handlers.prepare"
VALIDATE = "services.validator.handlers.validate_chunk"
CHUNK_FAILED = "services.ingest.handlers.chunk_failed"
FINALIZE = "services.ingest.handlers.finalize"
RUN_FAILED = "services.ingest.handlers.run_failed"
HANDLERS = (PREPARE, VALIDATE, CHUNK_FAILED, FINALIZE, RUN_FAILED)
AT = "2024-03-01T10:00:00.000Z"


class LambdaContext:
    function_name = "salesdq-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:salesdq-test"
    memory_limit_in_mb = 256
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/salesdq-test"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def fresh_import(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


_COLD: dict[str, ModuleType] = {}


def handler_module(name: str) -> ModuleType:
    """A cold start per session: every test's environment (LAMBDA_ENV) and AWS names are the same."""
    if name not in _COLD:
        _COLD[name] = fresh_import(name)
        sys.modules.pop(name, None)  # the config-error tests import their own
    return _COLD[name]


LAMBDA_ENV = {
    "INBOX_BUCKET": BUCKET,
    "ORDERS_TABLE": resources.ORDERS.name,
    "AUDIT_TABLE": resources.AUDIT.name,
    "LEASES_TABLE": resources.LEASES.name,
    "QUARANTINED_TABLE": resources.QUARANTINED.name,
    "CHUNK_RECORDS": "2",
    "MAX_PARTITIONS": "3",
    "LEASE_SECONDS": str(resources.LEASE_SECONDS),  # what the engine and the CDK app give validate-chunk
    "POWERTOOLS_SERVICE_NAME": "validator",
    "POWERTOOLS_METRICS_NAMESPACE": "salesdq-test",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@pytest.fixture
def lambda_env(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {**LAMBDA_ENV, "QUARANTINE_QUEUE_URL": aws.queue_url}  # moto's queue URLs are deterministic
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def call(module: ModuleType, event: dict[str, Any]) -> Any:
    return module.handler(event, LambdaContext())


def order(order_id: str, email: str = "ada@example.com") -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": 1},
        "contact-info": {"name": "Ada", "email": email},
    }


def test_handlers_run_on_their_own_configuration(aws, lambda_env):
    module = handler_module(PREPARE)
    assert module.CONFIG.chunk_records == 2
    assert module.CONFIG.quarantine_queue_url == aws.queue_url
    assert module.STORES.orders.name == resources.ORDERS.name


def test_the_workflow_end_to_end_through_the_handlers(aws, lambda_env):
    records = [order("A"), order("B"), order("A"), order("C", email="bad"), order("D")]
    data = json.dumps({"orders": records}).encode()
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/f.json", Body=data)
    prepare = handler_module(PREPARE)

    ready = call(prepare, {**PAYLOADS[PREPARE], "object": {"key": "incoming/f.json", "size": len(data)}})

    assert ready["status"] == "ready"
    assert (ready["at"], ready["execution"], ready["records"]) == (AT, "e1", 5)
    manifest = json.loads(aws.objects(ready["manifest"]["Key"])[ready["manifest"]["Key"]])
    assert all(c["records"] <= 2 for p in manifest for c in p["chunks"])  # CHUNK_RECORDS came from the env

    validate = handler_module(VALIDATE)
    totals = {"stored": 0, "duplicate": 0, "quarantined": 0}
    for partition in manifest:
        for chunk in partition["chunks"]:
            event = {
                "file_id": ready["file_id"],
                "file": ready["file"],
                "at": AT,
                "execution": "e1",
                "partition": partition["partition"],
                "chunk": {"chunk": chunk["chunk"], "key": chunk["key"]},
            }
            for outcome, count in call(validate, event).items():
                totals[outcome] += count
    assert totals == {"stored": 3, "duplicate": 1, "quarantined": 1}

    finalize = handler_module(FINALIZE)
    summary = call(
        finalize,
        {
            "file_id": ready["file_id"],
            "file": ready["file"],
            "at": AT,
            "execution": "e1",
            "records": ready["records"],
            "chunks": ready["chunks"],
        },
    )
    assert (summary["status"], summary["stored"], summary["quarantined"], summary["score"]) == ("completed", 3, 1, 0.8)


LAMBDA_ERROR = {
    "Error": "ClientError",
    "Cause": json.dumps(
        {
            "errorType": "ClientError",
            "errorMessage": "An error occurred (ProvisionedThroughputExceededException) when calling PutItem",
            "stackTrace": ['  File "/var/task/services/dal/orders_table.py", line 40, in put_new\n'],
        }
    ),
}


def test_a_failed_chunk_and_then_its_run_say_which_chunk_and_what_error_without_a_stack_trace(aws, lambda_env):
    chunk_event = {**PAYLOADS[CHUNK_FAILED], "file_id": "f1", "error": LAMBDA_ERROR}
    reason = call(handler_module(CHUNK_FAILED), chunk_event)["reason"]
    assert reason == (
        "chunk 3 of partition 2 (staging/e1/p00002/c0000003.json) failed after its retries: "
        "ClientError: An error occurred (ProvisionedThroughputExceededException) when calling PutItem"
    )
    map_error = {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "a child failed"}
    run_event = {**PAYLOADS[RUN_FAILED], "file_id": "f1", "error": map_error}

    run_reason = call(handler_module(RUN_FAILED), run_event)["reason"]

    assert run_reason == f"k: {reason} (upload the file again to continue the run)"
    (failed,) = [e for e in aws.audit() if e["event"] == "file.failed"]
    assert (failed["reason"], failed["failed_chunks"], failed["day"]) == (run_reason, 1, AT[:10])
    assert "stackTrace" not in run_reason and "File " not in run_reason
    assert aws.orders() == {} and aws.messages() == []  # a failure is never a record's outcome


def test_a_run_that_fails_outside_its_chunks_gives_the_error_that_stopped_it(aws, lambda_env):
    error = {
        "Error": "IncompleteFileError",
        "Cause": json.dumps({"errorType": "IncompleteFileError", "errorMessage": "k: 0 of 1"}),
    }
    reason = call(handler_module(RUN_FAILED), {**PAYLOADS[RUN_FAILED], "error": error})["reason"]
    assert reason == "k: IncompleteFileError: k: 0 of 1 (upload the file again to continue the run)"


def test_a_run_whose_prepare_failed_names_the_file_and_the_error_and_writes_nothing(aws, lambda_env):
    crash = {
        "Error": "Runtime.ExitError",
        "Cause": json.dumps({"errorType": "Runtime.ExitError", "errorMessage": "killed"}),
    }
    event = {"file": "incoming/f.json", "execution": "e1", "at": AT, "error": crash}
    reason = call(handler_module(RUN_FAILED), event)["reason"]
    assert reason == "incoming/f.json: Runtime.ExitError: killed (upload the file again to continue the run)"
    assert aws.audit() == []  # no fingerprint yet: nothing to key an event by


@pytest.mark.parametrize(
    ("error", "described"),
    [
        ({"Error": "States.Timeout", "Cause": "not json"}, "States.Timeout: not json"),
        ({"Error": "States.TaskFailed"}, "States.TaskFailed"),
        (
            {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate Exceeded."},
            "Lambda.TooManyRequestsException: Rate Exceeded.",
        ),
        (None, "unknown error"),
    ],
)
def test_caught_errors_are_described_in_one_line(error, described):
    from services.ingest.failures import describe_error

    assert describe_error(error) == described


PAYLOADS = {
    PREPARE: {
        "bucket": BUCKET,
        "object": {"key": "incoming/f.json", "size": 10},
        "execution": "e1",
        "at": AT,
        "state_machine": "arn:aws:states:us-east-1:123456789012:stateMachine:salesdq-ingest",
    },
    VALIDATE: {
        "file_id": "f",
        "file": "k",
        "at": AT,
        "execution": "e1",
        "partition": 0,
        "chunk": {"chunk": 0, "key": "x"},
    },
    CHUNK_FAILED: {
        "file_id": "f",
        "file": "k",
        "at": AT,
        "execution": "e1",
        "partition": 2,
        "chunk": {"chunk": 3, "key": "staging/e1/p00002/c0000003.json"},
    },
    FINALIZE: {"file_id": "f", "file": "k", "at": AT, "execution": "e1", "records": 1, "chunks": 1},
    RUN_FAILED: {"file_id": "f", "file": "k", "at": AT, "execution": "e1", "records": 1, "chunks": 1},
}
MISSING = [
    (PREPARE, ("bucket",)),
    (PREPARE, ("object", "key")),
    (PREPARE, ("execution",)),
    (PREPARE, ("at",)),
    (PREPARE, ("state_machine",)),
    (VALIDATE, ("file_id",)),
    (VALIDATE, ("partition",)),
    (VALIDATE, ("chunk", "key")),
    (VALIDATE, ("chunk", "chunk")),
    (CHUNK_FAILED, ("execution",)),
    (CHUNK_FAILED, ("chunk", "key")),
    (RUN_FAILED, ("execution",)),
    (FINALIZE, ("records",)),
    (FINALIZE, ("chunks",)),
    (FINALIZE, ("file_id",)),
]


@pytest.mark.parametrize(
    ("module_name", "path"), MISSING, ids=[f"{m.rsplit('.', 1)[1]}-{'.'.join(p)}" for m, p in MISSING]
)
def test_payload_errors_name_the_missing_field(aws, lambda_env, module_name, path):
    event = json.loads(json.dumps(PAYLOADS[module_name]))
    holder = event
    for name in path[:-1]:
        holder = holder[name]
    del holder[path[-1]]
    module = handler_module(module_name)
    with pytest.raises(InvalidPayloadError) as caught:
        call(module, event)
    assert str(caught.value) == f"payload has no {'.'.join(path)}"
    assert aws.orders() == {} and aws.messages() == []


def test_a_chunk_that_is_not_an_object_is_a_payload_error(aws, lambda_env):
    event = {**PAYLOADS[VALIDATE], "chunk": "c0000000.json"}
    with pytest.raises(InvalidPayloadError, match=r"payload has no chunk\.chunk"):
        call(handler_module(VALIDATE), event)


@pytest.mark.parametrize("module_name", HANDLERS)
def test_config_errors_at_import_name_every_missing_variable(aws_env, monkeypatch, module_name):
    for name in (
        "INBOX_BUCKET",
        "ORDERS_TABLE",
        "AUDIT_TABLE",
        "QUARANTINE_QUEUE_URL",
        "LEASES_TABLE",
        "CHUNK_RECORDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAX_PARTITIONS", "many")
    try:
        with pytest.raises(ConfigError) as caught:
            fresh_import(module_name)
    finally:
        sys.modules.pop(module_name, None)
    message = str(caught.value)
    for name in ("INBOX_BUCKET", "ORDERS_TABLE", "AUDIT_TABLE", "QUARANTINE_QUEUE_URL", "LEASES_TABLE"):
        assert f"{name} is not set" in message
    assert "MAX_PARTITIONS must be a whole number, got 'many'" in message


REDRIVE = "services.redrive.handlers.redrive"
MACHINE = "salesdq-test-ingest"


def _quarantined(aws: Aws, index: int, record: dict[str, Any]) -> str:
    """A record quarantined at attempt 1, in the quarantine view as the validator leaves it; its quarantine id."""
    message, _ = quarantine_message.for_record(
        run=Run(file_id="f" * 64, file="incoming/f.json", id=AT, execution="x"),
        index=index,
        order_id=record["order-info"]["OrderId"],
        reasons=[{"field": "contact-info.email", "rule": "email", "message": "not an email"}],
        attempt=1,
        record=record,
        bucket=BUCKET,
    )
    aws.stores.quarantined.open([message])
    return str(message["id"])


@pytest.fixture
def redrive_handler(
    aws: Aws, lambda_env: dict[str, str], clients: tuple[Any, Any, Any, Any], monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    role = "arn:aws:iam::123456789012:role/salesdq-test"
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = clients[3].create_state_machine(name=MACHINE, definition=definition, roleArn=role)["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)  # the same ARN in every test's fresh AWS
    return handler_module(REDRIVE)


def _redrive(module: ModuleType, request: str, corrections: list[dict[str, Any]]) -> Any:
    return call(module, {"request_id": request, "corrections": corrections})


def test_a_redrive_refuses_an_id_alone_and_keeps_the_record(aws, redrive_handler):
    """Once `{"id": ...}` alone was redriven: the record became null, quarantined as `$: not_object`."""
    record = order("I1", email="nope")
    quarantine_id = _quarantined(aws, 0, record)
    before = aws.stores.quarantined.get_many([quarantine_id])[quarantine_id]

    answer = _redrive(redrive_handler, "r1", [{"id": quarantine_id}])

    assert answer["redriven"] == [] and answer["execution"] is None
    assert [(r["id"], r["error"]) for r in answer["refused"]] == [(quarantine_id, "no_record")]
    assert aws.stores.quarantined.get_many([quarantine_id])[quarantine_id] == before
    assert not aws.objects("redrive/")


def test_one_request_holds_a_record_and_a_different_correction_waits_for_it(aws, clients, redrive_handler):
    """Once a second request with a different correction of a record another one was redriving was told
    `already redriven: in progress`, exit 0, and its correction never judged."""
    quarantine_id = _quarantined(aws, 0, order("H1", email="nope"))
    fix, other = order("H1"), order("H1", email="other@example.com")

    first = _redrive(redrive_handler, "r1", [{"id": quarantine_id, "record": fix}])
    assert first["redriven"] == [quarantine_id] and first["batch"] == "redrive/r1.jsonl"
    different = _redrive(redrive_handler, "r2", [{"id": quarantine_id, "record": other}])
    assert [(r["id"], r["error"]) for r in different["refused"]] == [(quarantine_id, "in_progress")]
    same = _redrive(redrive_handler, "r3", [{"id": quarantine_id, "record": fix}])
    assert same["already"] == [{"id": quarantine_id, "outcome": "in progress", "by": "redrive/r1.jsonl"}]
    assert same["following"] == [{"execution": first["execution"], "batch": "redrive/r1.jsonl"}]
    retried = _redrive(redrive_handler, "r1", [{"id": quarantine_id, "record": fix}])  # botocore's retry of the first
    assert (retried["redriven"], retried["execution"]) == ([quarantine_id], first["execution"])

    assert [key for key in aws.objects("redrive/") if key.endswith(".jsonl")] == ["redrive/r1.jsonl"]
    [line] = aws.objects("redrive/r1.jsonl")["redrive/r1.jsonl"].splitlines()
    assert json.loads(line) == fix
    executions = clients[3].list_executions(stateMachineArn=os.environ["STATE_MACHINE_ARN"])["executions"]
    assert [e["name"] for e in executions] == ["redrive-r1"]
