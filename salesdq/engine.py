"""The embedded AWS engine: moto, plus exactly what moto lacks to run salesdq as AWS would.

What this module adds to moto 5.2.5, each with a test in tests/functional/test_engine.py that fails if
moto changes under it:
1. Lambda: moto without Docker echoes the payload; here the real handler module runs in an execution
   environment of its function (a module instance cold-started under that function's environment variables,
   serving one invocation at a time and kept warm), under its reserved concurrency (beyond it: a 429).
2. EventBridge: a rule whose target is a state machine raises NotImplementedError inside moto; here the
   rule's own pattern decides and the target starts an execution with the event as input.
3. SQS: SendMessage builds every queue attribute (O(queue length)) just to read one; here it reads one.
4. Step Functions: moto checks a state's output against the 256 KiB limit but not its input; here a state
   whose input exceeds it fails with States.DataLimitExceeded, as on AWS.
5. DynamoDB: a Query on a table sorts every item of the table to find one partition (O(table) per page);
   here it reads that partition, as DynamoDB does.
6. DynamoDB: building an item re-measures every attribute stored so far as each one is added (O(attributes^2)
   per write); here the item is measured once, against the same limit, so the same items are refused.
7. DynamoDB: a conditional write reads the item, evaluates the condition and then stores, with no lock, so two
   threads can both pass `attribute_not_exists` on one key; here writes run one at a time, atomic per item as
   on DynamoDB (the slot leases depend on it).
While it runs, the process has a longer GIL switch interval and rarer garbage collections (every table lives
in its one heap; a Lambda's process on AWS holds only its own objects); both are restored on stop.
It also meters billable units (salesdq.metering) as requests pass through, routes Lambda output to
per-function log files, and with a port serves every backend over HTTP (`salesdq local up`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

import boto3
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.events.models import EventTemplateParser, Rule
from moto.server import ThreadedMotoServer
from moto.sqs.models import Queue
from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.quotas import is_within_size_quota
from moto.stepfunctions.responses import get_backend as sfn_backend

from salesdq import metering, resources
from services.runtime import config

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
SWITCH_INTERVAL_S = 0.05  # measured: 321 -> 423 records/s on 5,000 records (docs/architecture.md)
GC_THRESHOLDS = (10_000, 10, 10)  # a chunk: 0.99 ms of CPU a record at the defaults, 0.79-0.82 with these
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/salesdq-engine"
MOTO_ITEM_LIMIT_BYTES = 405_000  # moto's LimitedSizeDict: between AWS's documented 400 KB and its measured ~409 KB


class EngineError(Exception):
    """The engine could not do what was asked (provisioning, a wait that timed out)."""


class TooManyRequestsError(JsonRESTError):
    """Lambda's throttle: the function is at its reserved concurrency."""

    code = 429

    def __init__(self, function: str) -> None:
        super().__init__("TooManyRequestsException", f"Rate Exceeded. {function} is at its concurrency limit.")


# ---------------------------------------------------------------- the running engine (one at a time)

_state = threading.local()
_active: Engine | None = None


def _current_function() -> str | None:
    return getattr(_state, "function", None)


class _RoutedStdout(io.TextIOBase):
    """Lambda output goes to that function's log file, like CloudWatch Logs; everything else passes."""

    def __init__(self, passthrough: TextIO) -> None:
        self.passthrough = passthrough

    def write(self, text: str) -> int:
        function = _current_function()
        engine = _active
        if function and engine is not None:
            return engine._log(function, text)
        return self.passthrough.write(text)

    def flush(self) -> None:
        self.passthrough.flush()


@dataclass
class _Function:
    """A function and its warm execution environments: like Lambda, each serves one invocation at a time."""

    spec: resources.FunctionSpec
    environment: dict[str, str]
    slots: threading.BoundedSemaphore
    idle: list[ModuleType] = field(default_factory=list)
    cold_starts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> ModuleType:
        with self.lock:
            if self.idle:
                return self.idle.pop()
            self.cold_starts += 1
            number = self.cold_starts
        return _cold_start(self, number)

    def release(self, module: ModuleType) -> None:
        with self.lock:
            self.idle.append(module)


_IMPORT_LOCK = threading.Lock()


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _cold_start(function: _Function, number: int) -> ModuleType:
    """A new execution environment: the handler file imported as a module of its own, under the function's
    environment variables, so its cold-start state (config, clients, Powertools) is its alone."""
    module_name, _ = function.spec.handler.rsplit(".", 1)
    path = resources.ROOT / (module_name.replace(".", "/") + ".py")
    spec = importlib.util.spec_from_file_location(f"salesdq_lambda_{function.spec.id}_{number}", path)
    if spec is None or spec.loader is None:
        raise EngineError(f"cannot load handler {function.spec.handler}")
    module = importlib.util.module_from_spec(spec)
    with _IMPORT_LOCK, _environment(function.environment):
        spec.loader.exec_module(module)
    return module


class _Context:
    """The subset of the Lambda context object Powertools reads."""

    def __init__(self, function: _Function, region: str) -> None:
        spec = function.spec
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{spec.name}"
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = "embedded"
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# ---------------------------------------------------------------- the patches (installed once)

_original_send_to_targets = Rule.send_to_targets
_original_eval_body = CommonStateField._eval_body
_original_queue_attributes = Queue.attributes
_original_process_request = BotocoreStubber.process_request
_original_table_query = Table.query
_original_all_items = Table.all_items
_installed = False


def _invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes:
    engine = _active
    name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
    if engine is None or name not in engine._functions:
        raise EngineError(f"no handler registered for Lambda function {name}")
    return engine._run(name, body, response_headers)


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    machines = [t for t in self.targets if ":states:" in t["Arn"]]
    if not machines:
        return _original_send_to_targets(self, original_event, transform_input)
    if not self.event_pattern.matches_event(original_event):
        return None
    others = copy.copy(self)
    others.targets = [t for t in self.targets if t not in machines]
    _original_send_to_targets(others, original_event, transform_input)
    for target in machines:
        if "Input" in target:
            payload = target["Input"]
        elif not transform_input:  # the S3 notification path hands over the finished event
            payload = json.dumps(original_event)
        else:
            transformer = target.get("InputTransformer", {})
            payload = json.dumps(
                EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=original_event,
                )
            )
        arn = target["Arn"]
        region = arn.split(":")[3]
        try:
            sfn_backend(self.account_id, region).start_execution(arn, name=str(uuid.uuid4()), execution_input=payload)
        except Exception as error:  # moto swallows errors on the S3 path: keep them visible
            if _active is not None:
                _active.delivery_errors.append(f"{self.name} -> {arn}: {error!r}")
            raise
    return None


def _eval_body(self: CommonStateField, env: Any) -> None:
    engine = _active
    if engine is not None:
        engine.usage.add(state_transitions=1)
    value = env.states.get_input()
    if not is_within_size_quota(value):
        error = StatesErrorNameType.StatesStatesDataLimitExceeded
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=error),
                event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(  # type: ignore[typeddict-item]
                    executionFailedEventDetails=ExecutionFailedEventDetails(
                        error=error.to_name(),
                        cause=f"The state '{self.name}' received an input larger than 256 KiB.",
                    )
                ),
            )
        )
    _original_eval_body(self, env)


class _QueueAttributes(Mapping[str, Any]):
    """Queue attributes computed on demand: send_message reads one, GetQueueAttributes reads all."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def _full(self) -> dict[str, Any]:
        if self._all is None:
            self._all = _original_queue_attributes.fget(self._queue)  # type: ignore[attr-defined]
        return self._all

    def get(self, key: str, default: Any = None) -> Any:
        if key == "ContentBasedDeduplication":
            if not self._queue.fifo_queue:
                return default
            return getattr(self._queue, "content_based_deduplication", default)
        return self._full().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._full()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())


def _process_request(self: BotocoreStubber, request: Any) -> Any:
    response = _original_process_request(self, request)
    engine = _active
    if engine is not None and response is not None:
        with contextlib.suppress(Exception):  # metering must never break a request
            engine._meter(request, response)
    return response


def _table_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None or not self.range_key_attr:
        return _original_table_query(self, hash_key, *args, **kwargs)
    _state.partition = hash_key
    try:
        return _original_table_query(self, hash_key, *args, **kwargs)
    finally:
        _state.partition = None


def _all_items(self: Table) -> Any:
    partition = getattr(_state, "partition", None)
    if partition is None:
        return _original_all_items(self)
    return list(self.items.get(partition, {}).values())  # the query itself sorts them by range key


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    # moto checks the running total as each attribute is added; the totals only grow, so one check of the whole
    # item refuses exactly the items moto refuses.
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    for key, value in attrs.items():
        dict.__setitem__(self.attrs, key, DynamoType(value))
    if self.size() > MOTO_ITEM_LIMIT_BYTES:
        raise ItemSizeTooLarge


# The backend methods behind PutItem, UpdateItem, DeleteItem and TransactWriteItems (BatchWriteItem calls the
# first and third per item); re-entrant because a transaction's items go through put_item and delete_item.
_ATOMIC_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRITE_LOCK = threading.RLock()


def _atomic(write: Any) -> Any:
    @functools.wraps(write)
    def locked(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return write(self, *args, **kwargs)

    return locked


def install() -> None:
    """Apply the engine's additions to moto; idempotent."""
    global _installed
    if _installed:
        return
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign, assignment]
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
    CommonStateField._eval_body = _eval_body  # type: ignore[method-assign]
    Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment, method-assign]
    BotocoreStubber.process_request = _process_request  # type: ignore[method-assign]
    Table.query = _table_query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    for name in _ATOMIC_WRITES:
        setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))
    _installed = True


# ---------------------------------------------------------------- the engine


@dataclass(frozen=True)
class Names:
    bucket: str
    orders_table: str
    audit_table: str
    queue_url: str
    state_machine_arn: str


class Engine:
    """moto with salesdq's stack provisioned from salesdq.resources; use as a context manager."""

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        log_dir: Path | None = None,
        chunk_records: int = resources.CHUNK_RECORDS,
        max_partitions: int = resources.MAX_PARTITIONS,
        port: int | None = None,
    ) -> None:
        self.region = region
        self.port = port
        self._server: Any = None
        self.log_dir = log_dir
        self.chunk_records = chunk_records
        self.max_partitions = max_partitions
        self.usage = metering.Usage()
        self.delivery_errors: list[str] = []
        self._functions: dict[str, _Function] = {}
        self._logs: dict[str, TextIO] = {}
        self._log_lock = threading.Lock()
        self._mock: Any = None
        self._stdout: TextIO | None = None
        self.names: Names | None = None

    # -- lifecycle
    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        global _active
        if _active is not None:
            raise EngineError("an embedded engine is already running in this process")
        install()
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
        }.items():
            os.environ.setdefault(key, value)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        # The engine is one process: long GIL slices spare ~50 worker threads a convoy of switches.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        # Every table lives in this one heap, and a full collection walks all of it: rarer collections keep a
        # Lambda from paying to scan tables its own process on AWS would never hold.
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
        self._mock.start()
        _active = self
        self._stdout = sys.stdout
        sys.stdout = _RoutedStdout(sys.stdout)  # type: ignore[assignment]
        self.names = self._provision()
        if self.port is not None:
            # Any AWS client reaches the same backends over HTTP; handlers keep calling in-process.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()

    @property
    def endpoint(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.port is not None else None

    def stop(self) -> None:
        global _active
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._stdout is not None:
            sys.stdout = self._stdout
            self._stdout = None
        for handle in self._logs.values():
            handle.close()
        self._logs.clear()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
            sys.setswitchinterval(self._switch_interval)
            gc.set_threshold(*self._gc_thresholds)
        _active = None

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)

    # -- provisioning
    def _provision(self) -> Names:
        s3, ddb, sqs = self.client("s3"), self.client("dynamodb"), self.client("sqs")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": s}, "Action": "sts:AssumeRole"}
                for s in ("lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com")
            ],
        }
        self.client("iam").create_role(RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(trust))
        bucket = resources.INBOX_BUCKET
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        for table in resources.TABLES:
            ddb.create_table(**table_request(table))
        queue_url = sqs.create_queue(QueueName=resources.QUARANTINE.name, Attributes=resources.QUARANTINE.attributes)[
            "QueueUrl"
        ]
        values = {
            config.BUCKET: bucket,
            config.ORDERS_TABLE: resources.ORDERS.name,
            config.AUDIT_TABLE: resources.AUDIT.name,
            config.QUARANTINE_QUEUE_URL: queue_url,
            config.LEASES_TABLE: resources.LEASES.name,
            config.CHUNK_RECORDS: str(self.chunk_records),
            config.MAX_PARTITIONS: str(self.max_partitions),
        }
        arns = {spec.id: self._create_function(spec, values) for spec in resources.FUNCTIONS}
        definition = render_definition(resources.INGEST, arns)
        sfn = self.client("stepfunctions")
        machine = sfn.create_state_machine(name=resources.INGEST.name, definition=definition, roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]
        values = {**values, config.STATE_MACHINE_ARN: machine}
        self._create_function(resources.REDRIVE, values)
        events = self.client("events")
        events.put_rule(Name=resources.INGEST_RULE, EventPattern=json.dumps(resources.ingest_event_pattern(bucket)))
        events.put_targets(Rule=resources.INGEST_RULE, Targets=[{"Id": "ingest", "Arn": machine, "RoleArn": ROLE_ARN}])
        return Names(bucket, resources.ORDERS.name, resources.AUDIT.name, queue_url, machine)

    def register_function(self, spec: resources.FunctionSpec, values: Mapping[str, str] | None = None) -> str:
        """Create a Lambda function whose handler module the engine runs (the benchmark's baseline uses it)."""
        return self._create_function(spec, values or {})

    def _create_function(self, spec: resources.FunctionSpec, values: Mapping[str, str]) -> str:
        environment = resources.function_environment(spec, values)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("README", "code runs from the repository; see salesdq/engine.py")
        arn: str = self.client("lambda").create_function(
            FunctionName=spec.name,
            Runtime=resources.LAMBDA_RUNTIME,
            Role=ROLE_ARN,
            Handler=spec.handler,
            Code={"ZipFile": archive.getvalue()},
            MemorySize=spec.memory_mb,
            Timeout=spec.timeout_s,
            Environment={"Variables": environment},
        )["FunctionArn"]
        runtime_env = {
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        }
        self._functions[spec.name] = _Function(spec, runtime_env, threading.BoundedSemaphore(spec.reserved_concurrency))
        return arn

    # -- Lambda runtime
    def _run(self, name: str, body: Any, response_headers: Any) -> bytes:
        function = self._functions[name]
        if not function.slots.acquire(blocking=False):
            raise TooManyRequestsError(name)
        _state.function = name
        # GB-s from the invocation's own CPU: its wall time here would bill the waits on the other functions
        # sharing this process, which separate Lambda machines never have (docs/performance.md).
        started = time.thread_time()
        module: ModuleType | None = None
        try:
            module = function.acquire()
            event = json.loads(body) if body else {}
            handler = getattr(module, function.spec.handler.rsplit(".", 1)[1])
            result = handler(event, _Context(function, self.region))
            return json.dumps(result).encode("utf-8")
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            self._log(name, "".join(traceback.format_exception(error)))
            return json.dumps(
                {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            ).encode("utf-8")
        finally:
            elapsed_ms = max(1, round((time.thread_time() - started) * 1000))
            self.usage.add(lambda_requests=1, lambda_gb_seconds=elapsed_ms / 1000 * function.spec.memory_mb / 1024)
            if module is not None:  # a failed cold start leaves no environment, as on Lambda
                function.release(module)
            _state.function = None
            function.slots.release()

    def _log(self, function: str, text: str) -> int:
        if self.log_dir is None:
            return len(text)
        with self._log_lock:
            handle = self._logs.get(function)
            if handle is None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                handle = self._logs[function] = open(self.log_dir / f"{function}.log", "a", encoding="utf-8")  # noqa: SIM115
            handle.write(text)
        return len(text)

    # -- metering
    def _meter(self, request: Any, response: Any) -> None:
        host = urlsplit(request.url).hostname or ""
        headers = request.headers
        target = headers.get("X-Amz-Target", "")
        if isinstance(target, bytes):
            target = target.decode()
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if host.startswith("dynamodb."):
            self._meter_dynamodb(target.rsplit(".", 1)[-1], body, response)
        elif host.startswith("sqs.") and target.rsplit(".", 1)[-1] in ("SendMessage", "SendMessageBatch"):
            self.usage.add(sqs_requests=metering.sqs_requests(len(body)))
        elif host.startswith("sqs."):
            self.usage.add(sqs_requests=1)
        elif ".s3." in f".{host}" or host.startswith("s3."):
            listing = bool({"list-type", "prefix"} & parse_qs(urlsplit(request.url).query).keys())
            if request.method in ("PUT", "POST") or (request.method == "GET" and listing):
                self.usage.add(s3_class_a_requests=1)  # PUT, COPY, POST, LIST
            elif request.method in ("GET", "HEAD"):
                self.usage.add(s3_class_b_requests=1)

    def _meter_dynamodb(self, operation: str, body: bytes, response: Any) -> None:
        if operation == "PutItem" and len(body) <= metering.DDB_WRITE_UNIT_BYTES:
            # An item is never larger than the request that carries it: one unit, plus its index copies.
            self.usage.add(dynamodb_write_units=1 + (b'"day"' in body and self._has_day_index(body)))
            return
        if operation in ("PutItem", "DeleteItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"):
            payload = json.loads(body)
            items: list[tuple[str, dict[str, Any]]] = []
            if operation == "BatchWriteItem":
                for table, requests in payload["RequestItems"].items():
                    items += [(table, r["PutRequest"]["Item"]) for r in requests if "PutRequest" in r]
            elif operation == "TransactWriteItems":
                items += [(p["Put"]["TableName"], p["Put"]["Item"]) for p in payload["TransactItems"] if "Put" in p]
            elif "Item" in payload:
                items.append((payload["TableName"], payload["Item"]))
            per_unit = metering.TRANSACTION_FACTOR if operation == "TransactWriteItems" else 1
            units = 0
            for table, item in items:
                size = metering.item_size(item)
                units += per_unit * metering.write_units(size) * (1 + self._index_copies(table, item))
            if operation in ("DeleteItem", "UpdateItem") and not items:
                units = 1
            self.usage.add(dynamodb_write_units=units)
        elif operation == "BatchGetItem":
            # Billed per requested key: a found item by its size, a missing or projected-away one at the minimum.
            payload = json.loads(body)
            answer = json.loads(response[2] or b"{}")
            billed = 0.0
            for table, request in payload["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                found = answer.get("Responses", {}).get(table, [])
                unprocessed = len(answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
                billed += sum(metering.read_units(metering.item_size(item), consistent) for item in found)
                billed += (len(request["Keys"]) - len(found) - unprocessed) * metering.read_units(0, consistent)
            self.usage.add(dynamodb_read_units=billed)
        elif operation in ("GetItem", "Query", "Scan"):
            _, _, content = response
            payload = json.loads(body)
            consistent = bool(payload.get("ConsistentRead"))
            size = len(content) if isinstance(content, bytes | str) else 0
            self.usage.add(dynamodb_read_units=metering.read_units(size, consistent))

    def _has_day_index(self, body: bytes) -> int:
        payload = json.loads(body)
        return self._index_copies(payload["TableName"], payload["Item"])

    @staticmethod
    def _index_copies(table_name: str, item: Mapping[str, Any]) -> int:
        for table in resources.TABLES:
            if table.name == table_name:
                return sum(1 for index in table.indexes if index.partition_key in item and index.sort_key in item)
        return 0


def table_request(table: resources.TableSpec) -> dict[str, Any]:
    """CreateTable arguments for a resources.TableSpec (the CDK app builds the same keys)."""
    keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": keys,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in table.attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ]
    return request


def render_definition(machine: resources.StateMachineSpec, function_arns: Mapping[str, str]) -> str:
    """The ASL with its ${Placeholders} replaced, as CDK's definition_substitutions does."""
    text = machine.definition.read_text(encoding="utf-8")
    for placeholder, function_id in machine.functions.items():
        text = text.replace("${" + placeholder + "}", function_arns[function_id])
    if "${" in text:
        raise EngineError(f"{machine.definition.name} has a placeholder with no substitution")
    return text
