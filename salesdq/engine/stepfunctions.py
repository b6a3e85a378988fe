"""Step Functions: States.DataLimitExceeded on an oversize state input.

moto checks a state's output against the 256 KiB limit but not its input; here a state whose input exceeds it
fails the execution with States.DataLimitExceeded, as on AWS.
"""

from __future__ import annotations

import functools
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
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.quotas import is_within_size_quota


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
    inner = CommonStateField._eval_body

    def checked(self: CommonStateField, env: Any) -> None:
        if not is_within_size_quota(env.states.get_input()):
            raise _data_limit_exceeded(self, env)
        inner(self, env)

    CommonStateField._eval_body = checked  # type: ignore[method-assign]
