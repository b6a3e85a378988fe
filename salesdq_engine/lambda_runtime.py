"""Lambda: any function created through the Lambda API runs its real handler, as on AWS.

moto without Docker echoes the payload. Here, at a function's first invocation, its configuration as moto's
Lambda backend holds it (Handler, Environment, MemorySize, Timeout, and PutFunctionConcurrency's reserved
concurrency) becomes a runtime: the handler's module is resolved under the code root and imported afresh for
each execution environment, under the function's environment variables, so its cold-start state (config,
clients, Powertools) is its alone. An environment serves one invocation at a time and is kept warm; beyond the
reserved concurrency an invocation is throttled (429 TooManyRequestsException). A configuration change
starts new environments, as on Lambda. Output a handler writes to stdout goes to that function's log file,
like CloudWatch Logs.

Timeouts, as Lambda enforces them: an invocation still running past its configured Timeout (wall time from the
invocation's start) is stopped at its next AWS call, or when its handler returns, whichever comes first:
FunctionError Unhandled, errorType `Sandbox.Timedout`, `Task timed out after N.00 seconds`; the context's
get_remaining_time_in_millis() reads the same clock. Lambda stops a function anywhere; here it is stopped at
the request boundary (boundary(), the outermost request hook), where what it has done so far is what AWS
saw. A stopped function's execution environment is discarded (its next invocation cold-starts) and every
later call it makes, from a `finally` block say, is refused: the stop is a BaseException (FunctionStoppedError),
so the handler's own `except Exception` or `contextlib.suppress(...)` cannot swallow it. On one shared
interpreter a function's wall time includes its waits on the others' threads (the GIL), so a run that loads
the engine heavily can time out a function that would finish in time on AWS.

When its engine stops, the runtime shuts down (shut_down): each invocation in flight is stopped the same way,
`Runtime.ExitError`, and none starts after; the engine waits for them, so nothing a stopped engine was doing
lands in the next engine of the same process.

Fault injection (faults.py) plans, per invocation, a throttle (429 before the handler runs), a crash (the
function dies at its Nth AWS call: errorType `Runtime.ExitError`) or an overrun (at its Nth call its clock
passes its deadline, so that call stops it as a timeout); this module carries the plan out (PlannedFaults).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import json
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TextIO

from botocore.awsrequest import AWSPreparedRequest
from moto.awslambda.models import LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError

from salesdq_engine import request_hooks
from salesdq_engine.errors import EngineError

_original_invoke = LambdaSimpleBackend.invoke
_invocation = threading.local()  # the invocation the current thread is running (.running), if any
_IMPORT_LOCK = threading.Lock()  # os.environ is the process's: one cold start at a time
_active: LambdaRuntime | None = None


TIMED_OUT = "Sandbox.Timedout"
CRASHED = "Runtime.ExitError"
SHUT_DOWN = "Runtime exited: the engine stopped"
CRASH = "crash"  # what InvocationFaults.fired is told when a planned crash happens
OVERRUN = "overrun"  # ... and when a planned overrun advances an invocation's clock past its deadline


class TooManyRequestsError(JsonRESTError):
    """Lambda's throttle: the function is at its reserved concurrency (or the service throttles it)."""

    code = 429

    def __init__(self, function: str, reason: str = "is at its concurrency limit") -> None:
        super().__init__("TooManyRequestsException", f"Rate Exceeded. {function} {reason}.")


@dataclass(frozen=True)
class PlannedFaults:
    """What a fault plan decided for one invocation before it runs; the runtime carries it out."""

    throttle: bool = False  # answered 429 TooManyRequestsException; the handler never runs
    crash_at_call: int | None = None  # the function dies at this AWS call (0: its first), which never reaches AWS
    overrun_at_call: int | None = None  # at this call the invocation's clock passes its deadline: it times out


NO_FAULTS = PlannedFaults()


class InvocationFaults(Protocol):
    """Where an invocation's PlannedFaults come from (salesdq_engine.faults.Faults)."""

    def for_invocation(self, function: str) -> PlannedFaults:
        """The faults of one invocation of `function`, decided as it starts."""
        ...

    def fired(self, fault: str) -> None:
        """A planned fault happened: CRASH or OVERRUN (one that the invocation ended before reaching did not)."""
        ...


class FunctionStoppedError(BaseException):
    """Lambda stopped the function (a timeout or a crashed runtime): raised into its handler at its AWS calls.
    A BaseException, not an Exception: the handler's own error handling must not be able to swallow it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


class Running:
    """One invocation in progress: its request id, clock and deadline, its AWS calls so far, its planned faults,
    and whether Lambda stopped it."""

    def __init__(self, config: FunctionConfig, planned: PlannedFaults, fired: Callable[[str], None]) -> None:
        self.config = config
        self.planned = planned
        self._fired = fired
        self.request_id = str(uuid.uuid4())
        self.deadline = time.monotonic() + config.timeout_s
        self.skew = 0.0  # how far a planned overrun moved this invocation's clock ahead
        self.calls = 0  # AWS calls that reached the boundary while the function was alive
        self.stopped: tuple[str, str] | None = None  # (errorType, errorMessage) once stopped

    @property
    def _prefix(self) -> str:
        return f"RequestId: {self.request_id} Error:"  # how Lambda's own error messages begin

    def now(self) -> float:
        return time.monotonic() + self.skew

    def remaining_ms(self) -> int:
        return max(0, int((self.deadline - self.now()) * 1000))

    def before_call(self) -> None:
        """The handler makes an AWS call: FunctionStoppedError if it is stopped already, or is stopped here."""
        if self.stopped is None:
            call = self.calls
            self.calls += 1
            if call == self.planned.crash_at_call:
                self.stop(CRASHED, "Runtime exited with error: signal: killed")
                self._fired(CRASH)
            else:
                if call == self.planned.overrun_at_call:
                    self.skew = max(self.skew, self.deadline - time.monotonic())
                    self._fired(OVERRUN)
                self._check_deadline()
        self.raise_if_stopped()

    def before_return(self) -> None:
        """The handler returned: if that was past its deadline, Lambda stopped it before it could."""
        self._check_deadline()
        self.raise_if_stopped()

    def stop(self, error_type: str, reason: str) -> None:
        """Lambda stops it (a crash, its deadline, its engine stopping): FunctionStoppedError at its next AWS call
        or its return. The first stop is the one it reports."""
        if self.stopped is None:
            self.stopped = (error_type, f"{self._prefix} {reason}")

    def raise_if_stopped(self) -> None:
        if self.stopped is not None:
            raise FunctionStoppedError(*self.stopped)

    def _check_deadline(self) -> None:
        if self.now() >= self.deadline:
            self.stop(TIMED_OUT, f"Task timed out after {self.config.timeout_s:.2f} seconds")


def current() -> Running | None:
    """The invocation the calling thread is running (None: the caller is no Lambda function)."""
    running: Running | None = getattr(_invocation, "running", None)
    return running


def current_function() -> str | None:
    """The name of the function whose invocation the calling thread is running, if any."""
    running = current()
    return None if running is None else running.config.name


def boundary(request: AWSPreparedRequest, proceed: request_hooks.Proceed) -> request_hooks.Response:
    """The outermost request hook while a runtime is active: a handler's call passes only while it is alive."""
    running = current()
    if running is not None:
        running.before_call()
    return proceed(request)


@dataclass(frozen=True)
class Invocation:
    """What Lambda's REPORT line says of an invocation: the function, its memory and the billed duration."""

    function: str
    memory_mb: int
    billed_ms: int


@dataclass(frozen=True)
class FunctionConfig:
    """The part of a function's configuration its runtime is built from."""

    name: str
    arn: str
    handler: str
    environment: tuple[tuple[str, str], ...]
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None

    @classmethod
    def of(cls, function: LambdaFunction) -> FunctionConfig:
        reserved = function.reserved_concurrency
        return cls(
            name=function.function_name,
            arn=function.function_arn,
            handler=function.handler or "",  # none for an image: its cold start fails
            environment=tuple(sorted((function.environment_vars or {}).items())),
            memory_mb=int(function.memory_size),
            timeout_s=int(function.timeout),
            reserved_concurrency=None if reserved is None else int(reserved),
        )


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


@dataclass
class Function:
    """A function and its warm execution environments: like Lambda, each serves one invocation at a time."""

    config: FunctionConfig
    code_root: Path
    environment: dict[str, str]
    slots: threading.BoundedSemaphore | None  # None: no reserved concurrency, no throttle
    idle: list[ModuleType] = field(default_factory=list)
    cold_starts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, config: FunctionConfig, code_root: Path) -> Function:
        environment = {
            **dict(config.environment),
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        }
        reserved = config.reserved_concurrency
        slots = None if reserved is None else threading.BoundedSemaphore(reserved)
        return cls(config, code_root, environment, slots)

    @property
    def handler_name(self) -> str:
        return self.config.handler.rpartition(".")[2]

    def acquire(self) -> ModuleType:
        with self.lock:
            if self.idle:
                return self.idle.pop()
            self.cold_starts += 1
            number = self.cold_starts
        return self._cold_start(number)

    def release(self, module: ModuleType) -> None:
        with self.lock:
            self.idle.append(module)

    def _cold_start(self, number: int) -> ModuleType:
        """A new execution environment: the handler file imported as a module of its own."""
        module_path, _, _ = self.config.handler.rpartition(".")
        path = self.code_root / (module_path.replace(".", "/") + ".py")
        name = "lambda_" + re.sub(r"\W", "_", self.config.name) + f"_{number}"
        spec = importlib.util.spec_from_file_location(name, path) if module_path and path.is_file() else None
        if spec is None or spec.loader is None:
            raise EngineError(f"cannot load handler {self.config.handler} from {self.code_root}")
        module = importlib.util.module_from_spec(spec)
        with _IMPORT_LOCK, _environment(self.environment):
            spec.loader.exec_module(module)
        return module


class Context:
    """The subset of the Lambda context object Powertools reads."""

    def __init__(self, running: Running) -> None:
        config = running.config
        self.function_name = config.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.arn
        self.memory_limit_in_mb = config.memory_mb
        self.aws_request_id = running.request_id
        self.log_group_name = f"/aws/lambda/{config.name}"
        self.log_stream_name = "embedded"
        self._running = running

    def get_remaining_time_in_millis(self) -> int:
        """Until the invocation's deadline, on the clock its timeout is enforced by."""
        return self._running.remaining_ms()


class FunctionLogs:
    """One append-only file per function under log_dir, like a CloudWatch log group; no log_dir: discarded."""

    def __init__(self, log_dir: Path | None) -> None:
        self.log_dir = log_dir
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()

    def write(self, function: str, text: str) -> int:
        if self.log_dir is None:
            return len(text)
        with self._lock:
            handle = self._files.get(function)
            if handle is None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                handle = self._files[function] = open(self.log_dir / f"{function}.log", "a", encoding="utf-8")  # noqa: SIM115
            handle.write(text)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.flush()

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()


class RoutedStdout(io.TextIOBase):
    """Lambda output goes to that function's log file; everything else passes."""

    def __init__(self, passthrough: TextIO, logs: FunctionLogs) -> None:
        self.passthrough = passthrough
        self.logs = logs

    def write(self, text: str) -> int:
        function = current_function()
        if function:
            return self.logs.write(function, text)
        return self.passthrough.write(text)

    def flush(self) -> None:
        self.passthrough.flush()


class LambdaRuntime:
    """The execution environments of every function invoked while an engine runs."""

    def __init__(
        self,
        code_root: Path,
        logs: FunctionLogs,
        on_invocation: Callable[[Invocation], None] | None = None,
        faults: InvocationFaults | None = None,
    ) -> None:
        self.code_root = code_root
        self.logs = logs
        self.on_invocation = on_invocation
        self.faults = faults
        self._functions: dict[str, Function] = {}  # by ARN
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)  # notified as each invocation ends
        self._in_flight: set[Running] = set()
        self._shut_down = False

    def function(self, function: LambdaFunction) -> Function:
        """The runtime of a function as moto holds it, built at first use and again after a change."""
        config = FunctionConfig.of(function)
        with self._lock:
            current = self._functions.get(config.arn)
            if current is None or current.config != config:
                current = self._functions[config.arn] = Function.of(config, self.code_root)
            return current

    def function_named(self, name: str, region: str, account: str = DEFAULT_ACCOUNT_ID) -> Function:
        return self.function(lambda_simple_backends[account][region].get_function(name))

    def invoke(self, function: LambdaFunction, body: Any, response_headers: Any) -> bytes:
        runtime = self.function(function)
        config = runtime.config
        planned = NO_FAULTS if self.faults is None else self.faults.for_invocation(config.name)
        if planned.throttle:
            raise TooManyRequestsError(config.name, "is throttled")
        if runtime.slots is not None and not runtime.slots.acquire(blocking=False):
            raise TooManyRequestsError(config.name)
        outer = current()
        running = _invocation.running = Running(config, planned, _ignore if self.faults is None else self.faults.fired)
        with self._lock:
            self._in_flight.add(running)
            if self._shut_down:
                running.stop(CRASHED, SHUT_DOWN)
        # Billed from the invocation's own CPU: its wall time here would bill the waits on the other functions
        # sharing this process, which separate Lambda machines never have (docs/performance.md).
        started = time.thread_time()
        module: ModuleType | None = None
        try:
            running.raise_if_stopped()  # a runtime shut down runs no new invocation
            module = runtime.acquire()
            event = json.loads(body) if body else {}
            result = getattr(module, runtime.handler_name)(event, Context(running))
            running.before_return()
            return json.dumps(result).encode("utf-8")
        except FunctionStoppedError:
            return self._stopped(running, response_headers)
        except Exception as error:
            if running.stopped is not None:  # a `finally` of the stopped handler raised on the way out
                return self._stopped(running, response_headers)
            response_headers["x-amz-function-error"] = "Unhandled"
            self.logs.write(config.name, "".join(traceback.format_exception(error)))
            return json.dumps(
                {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            ).encode("utf-8")
        finally:
            billed_ms = max(1, round((time.thread_time() - started) * 1000))
            # A failed cold start leaves no environment, and a stopped function's is discarded, as on Lambda.
            if module is not None and running.stopped is None:
                runtime.release(module)
            _invocation.running = outer
            with self._lock:
                self._in_flight.discard(running)
                self._ended.notify_all()
            if runtime.slots is not None:
                runtime.slots.release()
            if self.on_invocation is not None:
                self.on_invocation(Invocation(config.name, config.memory_mb, billed_ms))

    def shut_down(self, wait_s: float) -> None:
        """The engine is stopping: every invocation in flight is stopped at its next AWS call (or its return)
        and no new one runs, so a thread of this engine never writes into a later engine's stores. Waits up
        to wait_s for them to end."""
        with self._lock:
            self._shut_down = True
            for running in self._in_flight:
                running.stop(CRASHED, SHUT_DOWN)
            self._ended.wait_for(lambda: not self._in_flight, timeout=wait_s)

    def _stopped(self, running: Running, response_headers: Any) -> bytes:
        """The answer of an invocation Lambda stopped, and its line in the function's log."""
        assert running.stopped is not None
        error_type, message = running.stopped
        response_headers["x-amz-function-error"] = "Unhandled"
        self.logs.write(running.config.name, f"{message}\n")
        return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")


def _ignore(fault: str) -> None:
    return None


def activate(runtime: LambdaRuntime | None) -> None:
    """The runtime that serves invocations (None: moto's own echo). Active, its boundary is the outermost
    request hook: add every other hook before activating."""
    global _active
    request_hooks.remove(boundary)
    if runtime is not None:
        request_hooks.add(boundary, outermost=True)
    _active = runtime


def _invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> bytes | str | None:
    runtime = _active
    if runtime is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    return runtime.invoke(self.get_function(function_name, qualifier), body, response_headers)


@functools.cache
def install() -> None:
    """Apply the addition to moto; once per process."""
    request_hooks.install()
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
