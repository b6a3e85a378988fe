"""Fault injection: AWS's failures, injected where AWS fails, at the API boundary and never in the code under test.

An engine started with a plan, `Engine(faults=FaultPlan(rates={"ddb-throttle": 0.05}, seed=7))`, fails
requests, invocations and deliveries at those rates (the probability per eligible request, invocation or
delivery; FAULTS says what each fault does and what it is drawn for). `engine.faults.injected()` then says how
many of each were injected: every name, 0 for none. From a command line, `parse_faults("ddb-throttle=0.05,
lambda-crash=0.01")` gives the rates, and FaultSpecError (an EngineError and a ValueError) names every valid fault.

What is faulted:
- the requests a Lambda function's handler makes (the request hook sees the runtime's thread-local invocation,
  lambda_runtime.current_function), answered as the service would answer them: errors in the service's own
  protocol (DynamoDB and SQS: JSON 1.0 with `__type`, SQS with its x-amzn-query-error header; S3: REST-XML
  `<Error><Code>`), so botocore's own retry logic sees a real throttle or 5xx and retries as it would on AWS;
- Lambda invocations themselves (throttle, crash, timeout: carried out by lambda_runtime);
- EventBridge deliveries to state machine targets (eventbridge).
Not faulted: requests made outside any invocation (the command line, a test, Step Functions' own calls such
as its Lambda invokes and the Distributed Map's reads of S3), so what a run reports afterwards reads the
stores' true state. A plan's `functions`, when given, narrows the faults of invocations and requests to those
functions. Requests a handler makes from threads of its own are not seen as its calls.

Seeded: one random.Random(seed), drawn under a lock, makes every decision, so the same plan and seed give the
same decisions for the same sequence of requests. Concurrent invocations interleave their requests in an
order that varies from run to run, and with it which request meets which draw: a concurrent run is
reproducible in its rates, not in its every decision.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from botocore.awsrequest import AWSPreparedRequest
from moto.core.common_types import TYPE_RESPONSE

from salesdq_engine import lambda_runtime
from salesdq_engine.dynamodb import WRITE_OPERATIONS
from salesdq_engine.errors import EngineError
from salesdq_engine.lambda_runtime import NO_FAULTS, PlannedFaults
from salesdq_engine.request_hooks import Proceed, Response, operation_of, service_of, text

# Every fault: what it does, and what its rate is the probability of.
FAULTS: Mapping[str, str] = MappingProxyType(
    {
        "lambda-throttle": "an invocation is answered 429 TooManyRequestsException (per invocation)",
        "lambda-crash": "the function dies at a random AWS call among its first 21: that call never reaches AWS, "
        "the invocation ends as Runtime.ExitError, its environment is discarded (per invocation)",
        "lambda-timeout": "at a random AWS call among its first 21 the invocation's clock passes its deadline: "
        "that call stops it as Sandbox.Timedout (per invocation)",
        "ddb-throttle": "a DynamoDB request is answered 400 ProvisionedThroughputExceededException, not applied "
        "(per DynamoDB request)",
        "ddb-unprocessed": "a BatchWriteItem / BatchGetItem leaves a random non-empty subset of its items / keys "
        "unprocessed, returned in UnprocessedItems / UnprocessedKeys (per batch request)",
        "ddb-lost-reply": "a DynamoDB write is applied and its reply lost as 500 InternalServerError "
        "(per PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems)",
        "sqs-failed": "a SendMessageBatch reports a random non-empty subset of its entries Failed with "
        "SenderFault false, not sent (per batch request)",
        "sqs-lost-reply": "an SQS send is applied and its reply lost as 500 InternalError "
        "(per SendMessage, SendMessageBatch)",
        "sqs-refused": "one entry of a SendMessageBatch is refused for good: Failed with SenderFault true, "
        "InvalidMessageContents, not sent (per batch request)",
        "s3-error": "an S3 request is answered 503 SlowDown or 500 InternalError, not applied (per S3 request)",
        "event-duplicate": "EventBridge delivers an event to a state machine target twice: two executions "
        "(per delivery)",
    }
)
FAULT_NAMES: tuple[str, ...] = tuple(FAULTS)
CALLS_BEFORE_MAX = 20  # a crash or an overrun happens at call 0..20 (uniform) of its invocation

_BATCHES = {"BatchWriteItem": "UnprocessedItems", "BatchGetItem": "UnprocessedKeys"}
_SQS_SENDS = ("SendMessage", "SendMessageBatch")
_DYNAMODB_ERRORS = "com.amazonaws.dynamodb.v20120810#"
_INTERNAL = "We encountered an internal error. Please try again."
_SERVICES = {"ddb": "dynamodb", "sqs": "sqs", "s3": "s3"}  # a request fault's name begins with its service's


class FaultSpecError(EngineError, ValueError):
    """A fault plan names a fault that does not exist or a rate outside 0..1; the message lists every fault."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}; the faults are {', '.join(FAULT_NAMES)}, each NAME=RATE with a rate from 0 to 1")


def checked_rates(rates: Mapping[str, float]) -> dict[str, float]:
    """The rates as floats, or FaultSpecError for an unknown name or a rate outside 0..1."""
    checked: dict[str, float] = {}
    for name, rate in rates.items():
        if name not in FAULTS:
            raise FaultSpecError(f"no fault is named {name!r}")
        try:
            value = float(rate)
        except (TypeError, ValueError):
            raise FaultSpecError(f"the rate of {name} is not a number: {rate!r}") from None
        if not 0.0 <= value <= 1.0:  # NaN fails this too
            raise FaultSpecError(f"the rate of {name} is {rate!r}, outside 0..1")
        checked[name] = value
    return checked


def parse_faults(spec: str) -> dict[str, float]:
    """A command line's fault spec, `NAME=RATE[,NAME=RATE...]`, as rates for FaultPlan; "" gives none."""
    rates: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, equals, rate = (s.strip() for s in part.partition("="))
        if not equals:
            raise FaultSpecError(f"{part!r} is not NAME=RATE")
        if name not in FAULTS:
            raise FaultSpecError(f"no fault is named {name!r}")
        if name in rates:
            raise FaultSpecError(f"{name} is given twice")
        try:
            rates[name] = float(rate)
        except ValueError:
            raise FaultSpecError(f"the rate of {name} is not a number: {rate!r}") from None
    return checked_rates(rates)


@dataclass(frozen=True)
class FaultPlan:
    """Which faults to inject and how often: `rates` maps a fault name (FAULT_NAMES) to its probability, 0..1,
    per eligible request, invocation or delivery (a fault not named: 0). `seed` seeds the one random source.
    `functions`, if given, are the only functions whose invocations and requests are faulted (deliveries are no
    function's); None: every function."""

    rates: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    functions: frozenset[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", MappingProxyType(checked_rates(self.rates)))
        if self.functions is not None:
            object.__setattr__(self, "functions", frozenset(self.functions))

    def rate(self, fault: str) -> float:
        return self.rates.get(fault, 0.0)


class Faults:
    """A plan carried out while an engine runs, and the count of each fault injected (Engine.faults).

    The engine wires it to the Lambda runtime (for_invocation, fired), to EventBridge (duplicate_delivery)
    and to the request boundary (request)."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.plan = plan or FaultPlan()
        self._random = random.Random(self.plan.seed)
        self._lock = threading.Lock()
        self._injected = dict.fromkeys(FAULT_NAMES, 0)
        self._paused = 0
        prefixes = {name.split("-")[0] for name in FAULT_NAMES if self.plan.rate(name)}
        self._services = frozenset(_SERVICES[prefix] for prefix in prefixes if prefix in _SERVICES)

    def injected(self) -> dict[str, int]:
        """How many of each fault were injected so far: every fault name, 0 for none."""
        with self._lock:
            return dict(self._injected)

    def report(self) -> dict[str, Any]:
        """The plan and what it injected, for a run summary's JSON."""
        functions = None if self.plan.functions is None else sorted(self.plan.functions)
        rates = {name: rate for name, rate in self.plan.rates.items() if rate}
        return {"seed": self.plan.seed, "rates": rates, "functions": functions, "injected": self.injected()}

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No fault is injected inside the block (a run retried after its faults passed, as AWS's faults pass);
        the plan's draws resume after it."""
        with self._lock:
            self._paused += 1
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1

    @property
    def faults_requests(self) -> bool:
        """Whether the plan faults any request (else the engine need not hook the request boundary)."""
        return bool(self._services)

    # -------------------------------------------------------------------- decisions (under self._lock)

    def _hit(self, fault: str) -> bool:
        rate = self.plan.rate(fault)
        return not self._paused and rate > 0.0 and self._random.random() < rate

    def _some(self, count: int) -> set[int]:
        """A random non-empty subset of range(count)."""
        return set(self._random.sample(range(count), self._random.randint(1, count)))

    def _count(self, fault: str) -> None:
        with self._lock:
            self._injected[fault] += 1

    def _targets(self, function: str | None) -> bool:
        return function is not None and (self.plan.functions is None or function in self.plan.functions)

    # -------------------------------------------------------------------- Lambda and EventBridge

    def for_invocation(self, function: str) -> PlannedFaults:
        """The faults of one invocation (lambda_runtime.InvocationFaults); a throttle counts at once, a crash or
        an overrun when the invocation reaches its call (fired)."""
        if not self._targets(function):
            return NO_FAULTS
        with self._lock:
            if self._hit("lambda-throttle"):
                self._injected["lambda-throttle"] += 1
                return PlannedFaults(throttle=True)
            crash = self._random.randint(0, CALLS_BEFORE_MAX) if self._hit("lambda-crash") else None
            overrun = self._random.randint(0, CALLS_BEFORE_MAX) if self._hit("lambda-timeout") else None
        return NO_FAULTS if crash is None and overrun is None else PlannedFaults(False, crash, overrun)

    def fired(self, fault: str) -> None:
        self._count({lambda_runtime.CRASH: "lambda-crash", lambda_runtime.OVERRUN: "lambda-timeout"}[fault])

    def duplicate_delivery(self) -> bool:
        """Whether EventBridge delivers this event to this state machine target a second time."""
        with self._lock:
            duplicate = self._hit("event-duplicate")
            if duplicate:
                self._injected["event-duplicate"] += 1
        return duplicate

    # -------------------------------------------------------------------- the request boundary

    def request(self, request: AWSPreparedRequest, proceed: Proceed) -> Response:
        """A request hook, outside metering: a faulted request that AWS would not apply is not billed."""
        service = service_of(request)
        if service not in self._services or not self._targets(lambda_runtime.current_function()):
            return proceed(request)
        if service == "dynamodb":
            return self._dynamodb(request, proceed)
        if service == "sqs" and operation_of(request) in _SQS_SENDS:
            return self._sqs_send(request, proceed)
        if service == "s3":
            return self._s3(request, proceed)
        return proceed(request)

    def _dynamodb(self, request: AWSPreparedRequest, proceed: Proceed) -> Response:
        operation = operation_of(request)
        batch = _BATCHES.get(operation)
        payload = json.loads(text(request.body)) if batch else None
        withheld: set[int] = set()
        with self._lock:
            if self._hit("ddb-throttle"):
                self._injected["ddb-throttle"] += 1
                return _dynamodb_answer(400, _throttled())
            if payload is not None:
                count = len(_batch_entries(operation, payload))
                if count and self._hit("ddb-unprocessed"):
                    withheld = self._some(count)
            lose = operation in WRITE_OPERATIONS and self._hit("ddb-lost-reply")
        if payload is not None and batch is not None and withheld:
            self._count("ddb-unprocessed")
            sent, left = _split_batch(operation, payload, withheld)
            if not sent:  # nothing left for DynamoDB to do
                read: dict[str, Any] = {"Responses": {}} if operation == "BatchGetItem" else {}
                return _dynamodb_answer(200, {**read, batch: left})
            response = proceed(_with_body(request, {**payload, "RequestItems": sent}))
            response = _merged(response, lambda answer: _add_unprocessed(answer, batch, operation, left), crc32=True)
        else:
            response = proceed(request)
        if lose and response is not None and response[0] < 300:
            self._count("ddb-lost-reply")
            return _dynamodb_answer(500, {"__type": _DYNAMODB_ERRORS + "InternalServerError", "message": _INTERNAL})
        return response

    def _sqs_send(self, request: AWSPreparedRequest, proceed: Proceed) -> Response:
        payload = json.loads(text(request.body))
        batch = operation_of(request) == "SendMessageBatch"
        entries: list[dict[str, Any]] = payload.get("Entries", []) if batch else []
        refused: int | None = None
        failed: set[int] = set()
        with self._lock:
            if entries and self._hit("sqs-refused"):
                refused = self._random.randrange(len(entries))
            rest = [i for i in range(len(entries)) if i != refused]
            if rest and self._hit("sqs-failed"):
                failed = {rest[i] for i in self._some(len(rest))}
            lose = self._hit("sqs-lost-reply")
        if refused is None and not failed:
            response = proceed(request)
        else:
            not_sent = failed if refused is None else failed | {refused}
            reports = [_entry_failed(entries[i], i == refused) for i in sorted(not_sent)]
            if refused is not None:
                self._count("sqs-refused")
            if failed:
                self._count("sqs-failed")
            kept = [entry for i, entry in enumerate(entries) if i not in not_sent]
            if not kept:  # nothing left to send
                return _sqs_answer(200, {"Successful": [], "Failed": reports})
            response = proceed(_with_body(request, {**payload, "Entries": kept}))
            response = _merged(response, lambda answer: {**answer, "Failed": [*answer.get("Failed", []), *reports]})
        if lose and response is not None and response[0] < 300:
            self._count("sqs-lost-reply")
            lost = {"__type": "com.amazonaws.sqs#InternalError", "message": _INTERNAL}
            return _sqs_answer(500, lost, query_error="InternalError;Receiver")
        return response

    def _s3(self, request: AWSPreparedRequest, proceed: Proceed) -> Response:
        with self._lock:
            if not self._hit("s3-error"):
                slow_down = None
            else:
                slow_down = self._random.random() < 0.5
                self._injected["s3-error"] += 1
        if slow_down is None:
            return proceed(request)
        if slow_down:
            return _s3_error(request, 503, "SlowDown", "Please reduce your request rate.")
        return _s3_error(request, 500, "InternalError", _INTERNAL)


# ------------------------------------------------------------------------ requests and answers


def _with_body(request: AWSPreparedRequest, payload: dict[str, Any]) -> AWSPreparedRequest:
    """The same request with another JSON body: what moto (and metering) see instead."""
    body = json.dumps(payload).encode("utf-8")
    headers = request.headers.copy()  # type: ignore[attr-defined]  # declared HTTPHeaders, a HeadersDict at run time
    headers["Content-Length"] = str(len(body))
    return AWSPreparedRequest(
        method=request.method, url=request.url, headers=headers, body=body, stream_output=request.stream_output
    )


def _batch_entries(operation: str, spec: Any) -> list[tuple[str, int]]:
    """(table, position) of every item of a BatchWriteItem or key of a BatchGetItem."""
    return [(table, i) for table, one in spec["RequestItems"].items() for i in range(len(_items(operation, one)))]


def _items(operation: str, one: Any) -> list[Any]:
    items: list[Any] = one if operation == "BatchWriteItem" else one["Keys"]
    return items


def _with_items(operation: str, one: Any, items: list[Any]) -> Any:
    return items if operation == "BatchWriteItem" else {**one, "Keys": items}


def _split_batch(operation: str, payload: Any, withheld: set[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the RequestItems still sent, the ones left unprocessed), by the positions in _batch_entries."""
    left_out = {entry for i, entry in enumerate(_batch_entries(operation, payload)) if i in withheld}
    sent: dict[str, Any] = {}
    left: dict[str, Any] = {}
    for table, one in payload["RequestItems"].items():
        items = _items(operation, one)
        keep = [item for i, item in enumerate(items) if (table, i) not in left_out]
        drop = [item for i, item in enumerate(items) if (table, i) in left_out]
        if keep:
            sent[table] = _with_items(operation, one, keep)
        if drop:
            left[table] = _with_items(operation, one, drop)
    return sent, left


def _add_unprocessed(answer: dict[str, Any], key: str, operation: str, left: dict[str, Any]) -> dict[str, Any]:
    unprocessed = dict(answer.get(key) or {})
    for table, one in left.items():
        if table in unprocessed:
            items = _items(operation, unprocessed[table]) + _items(operation, one)
            unprocessed[table] = _with_items(operation, unprocessed[table], items)
        else:
            unprocessed[table] = one
    return {**answer, key: unprocessed}


def _merged(response: Response, change: Callable[[dict[str, Any]], dict[str, Any]], crc32: bool = False) -> Response:
    """moto's successful JSON answer, changed; an error (or no answer) as it was."""
    if response is None or response[0] >= 300:
        return response
    status, headers, body = response
    changed = json.dumps(change(json.loads(body or "{}"))).encode("utf-8")
    kept = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "x-amz-crc32")}
    if crc32:  # botocore checks DynamoDB's checksum of the body and retries a mismatch
        kept["x-amz-crc32"] = str(zlib.crc32(changed))
    return status, kept, changed


def _request_id() -> str:
    return uuid.uuid4().hex.upper()


def _dynamodb_answer(status: int, payload: dict[str, Any]) -> TYPE_RESPONSE:
    body = json.dumps(payload).encode("utf-8")
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-RequestId": _request_id(),
        "x-amz-crc32": str(zlib.crc32(body)),
    }
    return status, headers, body


def _throttled() -> dict[str, str]:
    return {
        "__type": _DYNAMODB_ERRORS + "ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing "
        "your provisioning level with the UpdateTable API.",
    }


def _sqs_answer(status: int, payload: dict[str, Any], query_error: str | None = None) -> TYPE_RESPONSE:
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": _request_id()}
    if query_error:  # SQS's JSON protocol names the error's query-protocol code and fault here
        headers["x-amzn-query-error"] = query_error
    return status, headers, json.dumps(payload).encode("utf-8")


def _entry_failed(entry: dict[str, Any], refused: bool) -> dict[str, Any]:
    if refused:
        return {
            "Id": entry.get("Id"),
            "SenderFault": True,
            "Code": "InvalidMessageContents",
            "Message": "The message contains characters outside the allowed set.",
        }
    return {
        "Id": entry.get("Id"),
        "SenderFault": False,
        "Code": "InternalError",
        "Message": _INTERNAL,
    }


def _s3_error(request: AWSPreparedRequest, status: int, code: str, message: str) -> TYPE_RESPONSE:
    request_id = _request_id()[:16]
    host_id = uuid.uuid4().hex
    headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id, "x-amz-id-2": host_id}
    if request.method == "HEAD":  # S3 answers HEAD with no body: botocore reads the status alone
        return status, headers, b""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
    )
    return status, headers, body.encode("utf-8")
