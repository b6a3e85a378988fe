"""EventBridge: a rule whose target is a state machine starts an execution.

moto raises NotImplementedError inside for such a target (and on the S3 notification path swallows it); here
the rule's own pattern decides and each state machine target starts an execution with the event, or the
target's Input or InputTransformer, as input. Other targets go to moto as before.

EventBridge delivers at least once: with fault injection (faults.py, `event-duplicate`) a delivery to a state
machine target may start a second execution of the same event, under another name.
"""

from __future__ import annotations

import copy
import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from moto.events.models import EventTemplateParser, Rule
from moto.stepfunctions.responses import get_backend as sfn_backend

_original_send_to_targets = Rule.send_to_targets
_delivery_errors: list[str] | None = None  # the running engine's
_duplicate: Callable[[], bool] | None = None  # the running engine's: whether a delivery happens twice


def report_errors_to(errors: list[str] | None) -> None:
    """Where failed deliveries are recorded while an engine runs (None: nowhere)."""
    global _delivery_errors
    _delivery_errors = errors


def duplicate_deliveries(decide: Callable[[], bool] | None) -> None:
    """Asked once per delivery to a state machine target: True delivers it twice (None: never)."""
    global _duplicate
    _duplicate = decide


def _payload(target: dict[str, Any], original_event: Any, transform_input: bool) -> str:
    if "Input" in target:
        return str(target["Input"])
    if not transform_input:  # the S3 notification path hands over the finished event
        return json.dumps(original_event)
    transformer = target.get("InputTransformer", {})
    return json.dumps(
        EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=original_event,
        )
    )


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
        arn = target["Arn"]
        region = arn.split(":")[3]
        payload = _payload(target, original_event, transform_input)
        decide = _duplicate
        for _ in range(2 if decide is not None and decide() else 1):
            try:
                sfn_backend(self.account_id, region).start_execution(
                    arn, name=str(uuid.uuid4()), execution_input=payload
                )
            except Exception as error:  # moto swallows errors on the S3 path: keep them visible
                if _delivery_errors is not None:
                    _delivery_errors.append(f"{self.name} -> {arn}: {error!r}")
                raise
    return None


@functools.cache
def install() -> None:
    """Apply the addition to moto; once per process."""
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
