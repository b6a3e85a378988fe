"""Step Functions: States.DataLimitExceeded on an oversize state input; and a test-speed setting for Retry waits.

moto checks a state's output against the 256 KiB limit but not its input; here a state whose input exceeds it
fails the execution with States.DataLimitExceeded, as on AWS.

A Retry waits IntervalSeconds x BackoffRate^n in real seconds, as on AWS (moto sleeps them: retrier_decl's
time.sleep); a Retry of IntervalSeconds 1, BackoffRate 2, MaxAttempts 8 waits over four minutes. That is
faithful, and too slow for tests that make every attempt fail: scale_retry_waits(0.01) (Engine's
retry_wait_scale) multiplies every Retry wait by 0.01. It is a test-speed setting, not an emulation of AWS: it
changes no decision, only how long each wait lasts. Wait states and everything else keep their real times.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.quotas import is_within_size_quota

_retry_wait_scale = 1.0


def checked_scale(scale: float) -> float:
    """A retry wait scale, or ValueError unless it is a finite number >= 0."""
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale >= 0):
        raise ValueError(f"a retry wait scale is a finite number >= 0, not {scale!r}")
    return float(scale)


def scale_retry_waits(scale: float) -> None:
    """Every Retry wait from now on lasts `scale` times as long (1.0: as long as the definition says)."""
    global _retry_wait_scale
    _retry_wait_scale = checked_scale(scale)


class _ScaledRetryClock:
    """The `time` module as retrier_decl sees it: its sleep (the Retry wait) scaled, all else time's own."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds * _retry_wait_scale)


def _data_limit_exceeded(state: CommonStateField, env: Any) -> FailureEventException:
    error = StatesErrorNameType.StatesStatesDataLimitExceeded
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                executionFailedEventDetails=ExecutionFailedEventDetails(
                    error=error.to_name(),
                    cause=f"The state '{state.name}' received an input larger than 256 KiB.",
                )
            ),
        )
    )


@functools.cache
def install() -> None:
    """Apply the addition to moto; once per process. Wraps whatever _eval_body is installed by then."""
    retrier_decl.time = _ScaledRetryClock()  # type: ignore[assignment]
    inner = CommonStateField._eval_body

    def checked(self: CommonStateField, env: Any) -> None:
        if not is_within_size_quota(env.states.get_input()):
            raise _data_limit_exceeded(self, env)
        inner(self, env)

    CommonStateField._eval_body = checked  # type: ignore[method-assign]
