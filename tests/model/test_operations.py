"""The operations in random orders against the model of each record's outcome (issue 22: "a model-based test
of the operations"): after every step `replay verify` is clean, `replay rebuild` equals the stores, the stores
hold what the model says, `report`'s totals are the records received and their current outcomes, `history`
ends in each record's current outcome, `runs` lists only the failed run the model has, and after `dlq sweep`
the queue holds one message per open item. Then the same under injected faults.

Bounded here (tests/model/settings.py); `make model` runs the full tier. On a failure Hypothesis prints the
steps of the failing sequence; MODEL_SHRINK=1 shrinks it to the shortest, MODEL_CHECKS=verify (for one)
narrows the checks to find the shortest sequence breaking that one.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, seed, settings

from . import settings as tier
from .machine import FaultedOperations, Operations

pytestmark = [pytest.mark.model, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

PHASES = (Phase.explicit, Phase.reuse, Phase.generate) + ((Phase.target, Phase.shrink) if tier.SHRINK else ())


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=tier.STEPS,
        deadline=None,
        phases=PHASES,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


if tier.SEED is not None:
    seed(tier.SEED)(Operations)
    seed(tier.SEED)(FaultedOperations)

TestOperations = Operations.TestCase
TestOperations.settings = _settings(tier.EXAMPLES)

TestOperationsUnderFaults = FaultedOperations.TestCase
TestOperationsUnderFaults.settings = _settings(tier.FAULT_EXAMPLES)
