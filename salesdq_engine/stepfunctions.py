"""Step Functions: States.DataLimitExceeded on an oversize state input; a Distributed Map run that fails past its
tolerated failures; and a test-speed setting for Retry waits.

moto checks a state's output against the 256 KiB limit but not its input; here a state whose input exceeds it
fails the execution with States.DataLimitExceeded, as on AWS.

moto parses a Distributed Map's ToleratedFailureCount and ToleratedFailurePercentage and ignores them: it counts
a failed child and reports the Map Run succeeded (with null as that item's result). AWS fails the Map Run, and
the Map state with States.ExceedToleratedFailureThreshold, when its failed and timed-out items exceed the
tolerated count, or their share of the items the tolerated percentage; either one that is given, both 0 when
neither is, so by default one failed child fails the Map state
(docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html). Here the Map Run is judged so once
its children have ended: AWS may also let running children go on after the threshold is passed, and may stop
the rest sooner; every child here runs to its end first.

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
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (
    DistributedIterationComponent,
    DistributedIterationComponentEvalInput,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
    ToleratedFailureCountDecl,
    ToleratedFailurePercentageDecl,
)
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.component.state.state_props import StateProps
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.quotas import is_within_size_quota

_retry_wait_scale = 1.0
THRESHOLD_EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"  # AWS's cause


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


def _failure(env: Any, error: StatesErrorNameType, cause: str) -> FailureEventException:
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.ExecutionFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                executionFailedEventDetails=ExecutionFailedEventDetails(error=error.to_name(), cause=cause)
            ),
        )
    )


def threshold_exceeded(failed: int, total: int, count: int | None, percentage: float | None) -> bool:
    """Whether `failed` of `total` items exceed a Map Run's tolerated failures: the count or the percentage that
    is given (None: not in the definition), both 0 when neither is."""
    if count is None and percentage is None:
        count, percentage = 0, 0.0
    over_count = count is not None and failed > count
    over_percentage = percentage is not None and total > 0 and failed * 100 > percentage * total
    return over_count or over_percentage


def _install_tolerated_failures() -> None:
    """The Map Run fails with States.ExceedToleratedFailureThreshold once its children ended past the threshold:
    raised inside the component's run, so moto records MapRunFailed and the Map state's Retry and Catch see it."""
    from_state_props = StateMap.from_state_props
    map_run = DistributedIterationComponent._map_run

    def remembering_what_is_given(self: StateMap, state_props: StateProps) -> None:
        from_state_props(self, state_props)
        # moto fills a missing field with 0; whether the definition gave it decides what AWS applies
        self.iteration_component.tolerance_given = (  # type: ignore[attr-defined]
            state_props.get(ToleratedFailureCountDecl) is not None,
            state_props.get(ToleratedFailurePercentageDecl) is not None,
        )

    def judged(
        self: DistributedIterationComponent, env: Any, eval_input: DistributedIterationComponentEvalInput
    ) -> None:
        total = len(env.stack[-1])  # the items, which moto's run pops
        map_run(self, env, eval_input)
        items = eval_input.map_run_record.item_counter
        count_given, percentage_given = getattr(self, "tolerance_given", (False, False))
        if threshold_exceeded(
            items.failed.get() + items.timed_out.get(),
            total,
            eval_input.tolerated_failure_count if count_given else None,
            eval_input.tolerated_failure_percentage if percentage_given else None,
        ):
            env.stack.pop()  # the results moto pushed: the Map state has none
            raise _failure(env, StatesErrorNameType.StatesExceedToleratedFailureThreshold, THRESHOLD_EXCEEDED_CAUSE)

    StateMap.from_state_props = remembering_what_is_given  # type: ignore[method-assign]
    DistributedIterationComponent._map_run = judged  # type: ignore[method-assign]


@functools.cache
def install() -> None:
    """Apply the additions to moto; once per process. Wraps whatever _eval_body is installed by then."""
    retrier_decl.time = _ScaledRetryClock()  # type: ignore[assignment]
    _install_tolerated_failures()
    inner = CommonStateField._eval_body

    def checked(self: CommonStateField, env: Any) -> None:
        if not is_within_size_quota(env.states.get_input()):
            raise _failure(
                env,
                StatesErrorNameType.StatesStatesDataLimitExceeded,
                f"The state '{self.name}' received an input larger than 256 KiB.",
            )
        inner(self, env)

    CommonStateField._eval_body = checked  # type: ignore[method-assign]
