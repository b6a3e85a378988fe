"""The engine's lifecycle: moto's mock with every addition in place, salesdq's stack provisioned on start, the
process put back on stop; one engine at a time in a process. An engine may run with a fault plan (faults.py)
and with Step Functions' Retry waits scaled (a test-speed setting, stepfunctions.py)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, TextIO, cast

import boto3
from moto import mock_aws
from moto.server import ThreadedMotoServer

from salesdq import resources
from salesdq_engine import (
    additions,
    call_record,
    eventbridge,
    lambda_runtime,
    provisioning,
    request_hooks,
    stepfunctions,
)
from salesdq_engine.errors import EngineError
from salesdq_engine.faults import FaultPlan, Faults
from salesdq_engine.lambda_runtime import FunctionLogs, Invocation, LambdaRuntime, RoutedStdout
from salesdq_engine.metering import Meter, Usage
from salesdq_engine.process import ProcessSettings

DEFAULT_REGION = "us-east-1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
STOPPED, STOPPED_CAUSE = "Engine.Stopped", "the embedded engine stopped while the execution ran"
HALT_WAIT_S = 30.0  # how long a stop waits for invocations in flight to reach their next AWS call

_active: Engine | None = None


class Engine:
    """moto with salesdq's stack provisioned from salesdq.resources; use as a context manager.

    Handlers of the functions created through the Lambda API are resolved under `code_root`. `faults`: the
    faults to inject (FaultPlan; none by default), counted in `self.faults.injected()`. `retry_wait_scale`:
    every Step Functions Retry wait lasts this many times as long (1.0, the default, is faithful; tests and
    chaos runs use e.g. 0.01 so retries do not take minutes)."""

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        log_dir: Path | None = None,
        chunk_records: int = resources.CHUNK_RECORDS,
        max_partitions: int = resources.MAX_PARTITIONS,
        port: int | None = None,
        code_root: Path = resources.ROOT,
        faults: FaultPlan | None = None,
        retry_wait_scale: float = 1.0,
    ) -> None:
        self.region = region
        self.port = port
        self.log_dir = log_dir
        self.chunk_records = chunk_records
        self.max_partitions = max_partitions
        self.usage = Usage()
        self.delivery_errors: list[str] = []
        self.stack: resources.StackNames | None = None  # what provisioning made, once started
        self.faults = Faults(faults)
        self.retry_wait_scale = stepfunctions.checked_scale(retry_wait_scale)
        self._meter = Meter(self.usage)
        self.lambdas = LambdaRuntime(code_root, FunctionLogs(log_dir), on_invocation=self._metered, faults=self.faults)
        self._process = ProcessSettings()
        self._server: Any = None
        self._mock: Any = None
        self._stdout: TextIO | None = None

    def _metered(self, invocation: Invocation) -> None:
        self._meter.lambda_invocation(invocation.memory_mb, invocation.billed_ms)

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        global _active
        if _active is not None:
            raise EngineError("an embedded engine is already running in this process")
        additions.install()  # MotoVersionError on a moto other than the one they were checked against
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
        }.items():
            os.environ.setdefault(key, value)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._process.apply()
        self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
        self._mock.start()
        _active = self
        # The request boundary, outermost first: the Lambda runtime's (a stopped function's call goes no
        # further), fault injection (a request AWS would not apply is not metered), metering, moto.
        self._meter.attach()
        if self.faults.faults_requests:
            request_hooks.add(self.faults.request, outermost=True)
        call_record.start()  # only with SALESDQ_RECORD_CALLS set (tests/iam)
        lambda_runtime.activate(self.lambdas)
        eventbridge.report_errors_to(self.delivery_errors)
        eventbridge.duplicate_deliveries(self.faults.duplicate_delivery)
        stepfunctions.scale_retry_waits(self.retry_wait_scale)
        self._stdout = sys.stdout
        sys.stdout = RoutedStdout(sys.stdout, self.lambdas.logs)  # type: ignore[assignment]
        try:
            self.stack = provisioning.provision(
                self.client, chunk_records=self.chunk_records, max_partitions=self.max_partitions
            )
            if self.port is not None:
                # Any AWS client reaches the same backends over HTTP; handlers keep calling in-process.
                logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
                self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
                self._server.start()
        except BaseException:
            self.stop()  # a half-started engine would block every later one in this process
            raise

    def freeze_heap(self) -> None:
        """Every object alive now (the stores' contents above all) left out of garbage collection until the
        engine stops: for reading what a finished run left (`local run --out`). Refcounting still frees
        what the reads create."""
        if self._mock is None:
            raise EngineError("the embedded engine is not running")
        self._process.freeze()

    @property
    def endpoint(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.port is not None else None

    def stop(self) -> int:
        """Stop the engine and everything it was doing; returns how many executions were still running (each
        stopped, its work lost with the engine's memory)."""
        global _active
        halted = self._halt_work() if self._mock is not None and _active is self else 0
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._stdout is not None:
            sys.stdout = self._stdout
            self._stdout = None
        self.lambdas.logs.close()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
            self._process.restore()
        if _active is self:
            stepfunctions.scale_retry_waits(1.0)
            eventbridge.duplicate_deliveries(None)
            eventbridge.report_errors_to(None)
            lambda_runtime.activate(None)
            call_record.stop()
            request_hooks.remove(self.faults.request)
            self._meter.detach()
            _active = None
        return halted

    def _halt_work(self) -> int:
        """Everything this engine was doing ends with it: its running executions are stopped (moto's
        interpreter starts no state and no retry after), and its Lambda runtime stops every invocation in
        flight at its next AWS call. moto's backends are process-wide, so work left running would otherwise
        write into the next engine's stores. Returns how many executions it stopped."""
        halted = 0
        if self.stack is not None:
            sfn = self.client("stepfunctions")
            pages = sfn.get_paginator("list_executions").paginate(
                stateMachineArn=self.stack.state_machine_arn, statusFilter="RUNNING"
            )
            for execution in (e for page in pages for e in page["executions"]):
                sfn.stop_execution(executionArn=execution["executionArn"], error=STOPPED, cause=STOPPED_CAUSE)
                halted += 1
        self.lambdas.shut_down(wait_s=HALT_WAIT_S)
        return halted

    def client(self, service: str) -> Any:
        return boto3.client(cast(Any, service), region_name=self.region)  # Any: boto3's overloads are by literal name
