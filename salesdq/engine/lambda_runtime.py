"""Lambda: any function created through the Lambda API runs its real handler, as on AWS.

moto without Docker echoes the payload. Here, at a function's first invocation, its configuration as moto's
Lambda backend holds it (Handler, Environment, MemorySize, Timeout, and PutFunctionConcurrency's reserved
concurrency) becomes a runtime: the handler's module is resolved under the code root and imported afresh for
each execution environment, under the function's environment variables, so its cold-start state (config,
clients, Powertools) is its alone. An environment serves one invocation at a time and is kept warm; beyond the
reserved concurrency an invocation is throttled (429 TooManyRequestsException). A configuration change
starts new environments, as on Lambda. Output a handler writes to stdout goes to that function's log file,
like CloudWatch Logs.
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
from typing import Any, TextIO

from moto.awslambda.models import LambdaFunction
from moto.awslambda_simple.models import LambdaSimpleBackend, lambda_simple_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError

from salesdq.engine.errors import EngineError

_original_invoke = LambdaSimpleBackend.invoke
_invocation = threading.local()  # the function the current thread is running, for stdout routing
_IMPORT_LOCK = threading.Lock()  # os.environ is the process's: one cold start at a time
_active: LambdaRuntime | None = None


class TooManyRequestsError(JsonRESTError):
    """Lambda's throttle: the function is at its reserved concurrency."""

    code = 429

    def __init__(self, function: str) -> None:
        super().__init__("TooManyRequestsException", f"Rate Exceeded. {function} is at its concurrency limit.")


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

    def __init__(self, config: FunctionConfig) -> None:
        self.function_name = config.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.arn
        self.memory_limit_in_mb = config.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{config.name}"
        self.log_stream_name = "embedded"
        self._deadline = time.monotonic() + config.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


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
        function = getattr(_invocation, "function", None)
        if function:
            return self.logs.write(function, text)
        return self.passthrough.write(text)

    def flush(self) -> None:
        self.passthrough.flush()


class LambdaRuntime:
    """The execution environments of every function invoked while an engine runs."""

    def __init__(
        self, code_root: Path, logs: FunctionLogs, on_invocation: Callable[[Invocation], None] | None = None
    ) -> None:
        self.code_root = code_root
        self.logs = logs
        self.on_invocation = on_invocation
        self._functions: dict[str, Function] = {}  # by ARN
        self._lock = threading.Lock()

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
        if runtime.slots is not None and not runtime.slots.acquire(blocking=False):
            raise TooManyRequestsError(config.name)
        outer = getattr(_invocation, "function", None)
        _invocation.function = config.name
        # Billed from the invocation's own CPU: its wall time here would bill the waits on the other functions
        # sharing this process, which separate Lambda machines never have (docs/performance.md).
        started = time.thread_time()
        module: ModuleType | None = None
        try:
            module = runtime.acquire()
            event = json.loads(body) if body else {}
            result = getattr(module, runtime.handler_name)(event, Context(config))
            return json.dumps(result).encode("utf-8")
        except Exception as error:
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
            if module is not None:  # a failed cold start leaves no environment, as on Lambda
                runtime.release(module)
            _invocation.function = outer
            if runtime.slots is not None:
                runtime.slots.release()
            if self.on_invocation is not None:
                self.on_invocation(Invocation(config.name, config.memory_mb, billed_ms))


def activate(runtime: LambdaRuntime | None) -> None:
    """The runtime that serves invocations (None: moto's own echo)."""
    global _active
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
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
