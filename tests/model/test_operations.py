"""The operations in random orders against the model of each record's outcome (issue 22: "a model-based test
of the operations"): after every step `audit verify` is clean, `audit rebuild` equals the stores, the stores
hold what the model says, `report`'s totals are the records received and their current outcomes, `history`
ends in each record's current outcome, `runs` lists only the failed run the model has, and after `quarantine sweep`
the queue holds one message per open item. Then the same under injected faults.

Bounded here (tests/model/settings.py); `make model` runs the full tier. On a failure Hypothesis prints the
steps of the failing sequence; MODEL_SHRINK=1 shrinks it to the shortest, MODEL_CHECKS=verify (for one)
narrows the checks to find the shortest sequence breaking that one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, seed, settings

from . import settings as tier
from .machine import FaultedOperations, Operations

pytestmark = [pytest.mark.model, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]


def test_every_operation_in_the_issues_order() -> None:
    """One fixed sequence through every operation, the issue's reproductions among them, checked after each
    step: what the bounded random sequences below reach or not, this always does."""
    machine = Operations()
    steps: list[Callable[[], None]] = [
        # stored: A (#0), D (#4); a duplicate: A (#5); open: B (#1 qty, #2 email), C (#3 qty)
        lambda: machine.start(
            [("A", "valid"), ("B", "bad_qty"), ("B", "bad_email"), ("C", "bad_qty"), ("D", "valid"), ("A", "valid")]
        ),
        lambda: machine.redrive("corrections", [(0, "bad_email", False)]),  # B#1 still invalid: attempt 2
        lambda: machine.redrive("corrections", [(0, "valid", True)]),  # B#1 fixed, from the first export (#4)
        lambda: machine.redrive("corrections", [(0, "valid", False)]),  # B#2 so too: a batch of the same bytes
        lambda: machine.redrive("id-only", [(0, "valid", False)]),  # C#3 by its id alone: refused (#3)
        lambda: machine.redrive("again", [(0, "valid", False)]),
        lambda: machine.upload("duplicate", [], 0),
        lambda: machine.upload("rejected", []),
        lambda: machine.quarantine_resolve(True, 0),  # no failed run appears (#5)
        lambda: machine.replay_file(0),  # verify stays clean, no second file in the report (#1, #2)
        lambda: machine.upload("failing", [("E", "valid"), ("C", "valid2"), ("E", "valid")]),
        lambda: machine.retry_failed(False),
        lambda: machine.redrive("corrections", [(0, "valid", False)]),  # C fixed, but stored since as valid2: refused
        lambda: machine.quarantine_resolve(False, 0),  # a record's item: refused
        lambda: machine.quarantine_sweep(),
    ]
    try:
        for step in steps:
            step()
            machine.check_all()
    finally:
        machine.teardown()


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
