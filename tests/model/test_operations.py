"""The operations in random orders against the model of each record's outcome (issue 22: "a model-based test
of the operations"): after every step `audit verify` is clean, `audit rebuild` equals the stores, the stores
hold what the model says, `report`'s totals are the records received and their current outcomes, `history`
ends in each record's current outcome, `runs` lists only the failed run the model has, and after `quarantine sweep`
the queue holds one message per open item (but those a killed invocation holds). Then the same under injected
faults.

Bounded here (tests/model/settings.py); `make model` runs the full tier. On a failure Hypothesis prints the
steps of the failing sequence; MODEL_SHRINK=1 shrinks it to the shortest, MODEL_CHECKS=verify (for one)
narrows the checks to find the shortest sequence breaking that one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, seed, settings

from salesdq import resources

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
    _checked(machine, steps)


def _checked(machine: Operations, steps: list[Callable[[], None]]) -> None:
    try:
        for step in steps:
            step()
            machine.check_all()
    finally:
        machine.teardown()


def test_a_still_invalid_correction_sent_again_is_already_redriven() -> None:
    """Found by the full tier: the same redrive file sent again after its correction was quarantined again.
    The correction is now the quarantined record, but the line is the one already sent (exported at attempt 1,
    the record at attempt 2): `already redriven: quarantined`, exit 0, not `refused unchanged` (docs/operations.md,
    "Refusals and errors"). The same correction from the latest export (at the record's attempt) is refused."""
    machine = Operations()
    _checked(
        machine,
        [
            # A#0 stored; A#1 and A#2 conflicts, quarantined
            lambda: machine.start([("A", "valid2"), ("A", "valid"), ("A", "valid")]),
            lambda: machine.redrive("corrections", [(0, "bad_email", False)]),  # A#1: still invalid, attempt 2
            lambda: machine.redrive("again", [(0, "valid", False)]),  # the same file: already redriven
            lambda: machine.redrive("corrections", [(0, "unchanged", False)]),  # A#1 as exported now: unchanged
        ],
    )


def test_a_sweep_killed_holding_the_queue_is_left_to_its_hold() -> None:
    """Found by the full tier under faults: the sweep at the end of a replay died after receiving the queue (its
    function crashed at its AWS call after the receives: the fault plan's seed 1, every sweep invocation
    crashing), so SQS hides both messages for the sweep's hold; the operator's `quarantine sweep` then sees none. The
    model asked for every open item's message anyway; it now checks what shows and that the rest is in flight."""
    machine = Operations()
    machine.rates = {"lambda-crash": 1.0}

    def start() -> None:
        machine._start(machine.rates, 1, frozenset({resources.SWEEP.name}))
        machine._upload_new([("A", "valid"), ("B", "bad_qty"), ("C", "bad_email")])

    def killed_sweep_holds_both() -> None:
        machine.replay_file(0)
        assert machine._held_elsewhere() == 2  # B's and C's messages, hidden by the dead sweep

    _checked(machine, [start, killed_sweep_holds_both, lambda: machine.quarantine_sweep()])


def test_a_redrive_between_two_replays_is_counted() -> None:
    """Found by the full tier: a conflict redriven with the stored content (a duplicate, resolved) after a
    replay, then the file replayed again: that replay quarantines none of the file's records, and `report`
    still counts the record redriven."""
    machine = Operations()
    _checked(
        machine,
        [
            lambda: machine.start([("A", "valid")] * 7 + [("A", "valid2")]),  # 1 stored, 6 duplicates, 1 conflict
            lambda: machine.replay_file(0),
            lambda: machine.quarantine_sweep(),
            lambda: machine.redrive("corrections", [(0, "valid", False)]),  # A#7 as stored: a duplicate
            lambda: machine.replay_file(0),
        ],
    )


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
