"""Chaos: seeded files whose every outcome is known, run under injected faults, held against the oracle.

Each case runs one scenario (tests/chaos/oracle.py) on an engine of its own with a fault plan, uploading and
following each file as a user would, re-uploading a file whose run failed (tests/chaos/runner.py), and checks
the orders table, the quarantine queue, the audit log and the reported results against what the input alone says
(tests/chaos/checks.py). The faults are injected at the engine's API boundary only.

- every fault alone (CHAOS_RATES x CHAOS_SEEDS, tests/chaos/settings.py);
- seeded random mixes of 3 to 6 faults at 0.05 to 0.3 (CHAOS_MIXES);
- forced failures: a fault at rate 1, on one function or all, so that runs fail past their retries, faulted
  re-uploads fail again and the re-upload with the faults paused must complete the file as a first run would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from salesdq import resources
from salesdq_engine import FAULT_NAMES, FaultPlan

from . import settings
from .checks import verify
from .oracle import Scenario, scenario
from .runner import ChaosRun, run_scenario

# A failed chunk or run publishes no metric (Powertools warns); moto logs each failed execution's cause.
pytestmark = [pytest.mark.chaos, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

PREPARE = resources.PREPARE.name
VALIDATE_CHUNK = resources.VALIDATE_CHUNK.name


def _scenario(seed: int) -> Scenario:
    chunk_records = settings.CHUNK_RECORDS[seed % len(settings.CHUNK_RECORDS)] if settings.FULL else 5
    return scenario(
        seed,
        files=settings.FILES,
        records=settings.RECORDS,
        chunk_records=chunk_records,
        max_partitions=settings.MAX_PARTITIONS,
    )


def _run(tmp_path: Path, rates: dict[str, float], seed: int, **plan: object) -> ChaosRun:
    run = run_scenario(_scenario(seed), FaultPlan(rates=rates, seed=seed, **plan), tmp_path)  # type: ignore[arg-type]
    verify(run)
    return run


# ----------------------------------------------------------------------------------------- one fault

ONE_FAULT_TRIES = 3
ONE_FAULT = [(fault, rate, seed) for fault in FAULT_NAMES for rate in settings.RATES for seed in settings.SEEDS]


@pytest.mark.parametrize(("fault", "rate", "seed"), ONE_FAULT, ids=[f"{f}={r:g}-seed{s}" for f, r, s in ONE_FAULT])
def test_one_fault(tmp_path: Path, fault: str, rate: float, seed: int) -> None:
    """A small scenario may see a rare fault never drawn (a crash must also reach its call): then it runs
    again under the next seeds, so the case always tests the fault, never nothing."""
    for attempt in range(ONE_FAULT_TRIES):
        run = _run(tmp_path / f"try{attempt}", {fault: rate}, seed + 1000 * attempt)
        if run.injected[fault]:
            return
    raise AssertionError(f"{fault} was never injected in {ONE_FAULT_TRIES} seeds: {run.headline()}")


# ----------------------------------------------------------------------------------------- mixes

MIXES = [(number, settings.mix(number)) for number in range(1, settings.MIXES + 1)]


@pytest.mark.parametrize(("number", "rates"), MIXES, ids=[f"mix{n:02d}:{settings.spec(r)}" for n, r in MIXES])
def test_mix(tmp_path: Path, number: int, rates: dict[str, float]) -> None:
    run = _run(tmp_path, rates, seed=100 + number)
    assert sum(run.injected.values()) > 0, run.headline()


def test_the_mixes_cover_every_fault() -> None:
    assert {name for _, rates in MIXES for name in rates} == set(FAULT_NAMES)
    assert all(3 <= len(rates) <= 6 and all(0.05 <= r <= 0.3 for r in rates.values()) for _, rates in MIXES)


# ----------------------------------------------------------------------------------------- forced failures


def _small(seed: int, files: int = 2, partitions: int = 2) -> Scenario:
    """A smaller scenario, for cases whose every run fails a few times over."""
    return scenario(seed, files=files, records=(10, 14), chunk_records=5, max_partitions=partitions)


def test_a_message_refused_for_good_fails_the_run_visibly_until_the_fault_passes(tmp_path: Path) -> None:
    run = run_scenario(_small(7), FaultPlan(rates={"sqs-refused": 1.0}, seed=7), tmp_path)
    verify(run)
    for tries in run.files:  # every file has quarantined records: each run fails until the faults pause
        assert [a.result.status for a in tries.attempts] == ["failed", "failed", "failed", "completed"]
        for attempt in tries.attempts[:-1]:
            assert "MessageRefusedError: SQS refused a message for good" in str(attempt.result.reason)
        # The run's file.failed event (each failed execution of the run rewrites it) says what to do. The
        # follower's reason, cut at 500 characters, may have lost that hint when several chunks failed.
        [failed] = [e for e in run.audit if e.get("event") == "file.failed" and e["file_id"] == tries.file.file_id]
        assert failed["execution"] == tries.attempts[-2].result.execution
        assert str(failed["reason"]).endswith("(upload the file again to continue the run)"), failed


def test_a_failed_run_delivered_twice_is_followed_to_the_execution_holding_the_claim(tmp_path: Path) -> None:
    """Every upload starts two executions: one holds the claim (or takes it over), the other answers
    `redelivered` naming it; the follower reports the holder's outcome, never the redelivery."""
    run = run_scenario(_small(8), FaultPlan(rates={"sqs-refused": 1.0, "event-duplicate": 1.0}, seed=8), tmp_path)
    verify(run)
    assert run.injected["event-duplicate"] == 3 * len(run.files)  # the paused re-upload is delivered once
    assert all(a.result.status != "duplicate" for f in run.files for a in f.attempts)


def test_a_takeover_whose_reply_is_lost_recognizes_its_own_success(tmp_path: Path) -> None:
    """Every run fails (one partition, whose first chunk, of records without an order id, has its quarantine queue
    messages refused); half of Prepare's DynamoDB replies are lost, the re-uploads' takeovers of the claim
    among them: botocore resends the write, which must see the claim as its own, not as someone else's."""
    functions = frozenset({PREPARE, VALIDATE_CHUNK})
    plan = FaultPlan(rates={"sqs-refused": 1.0, "ddb-lost-reply": 0.5}, seed=9, functions=functions)
    made = scenario(9, files=2, records=(10, 14), chunk_records=5, max_partitions=1, leading_invalid=5)
    run = run_scenario(made, plan, tmp_path, faulted_retries=3)
    verify(run)
    assert all(a.result.status == "failed" for f in run.files for a in f.attempts[:-1]), run.headline()
    assert all(len(f.attempts) == 5 for f in run.files) and run.injected["ddb-lost-reply"] > 0


@pytest.mark.parametrize(
    ("fault", "error"),
    # s3-error waits out botocore's real backoff (slow): only the full tier collects it, so nothing is skipped
    [
        ("lambda-throttle", "TooManyRequestsException"),
        *([("s3-error", "SlowDown|InternalError")] if settings.FULL else []),
    ],
)
def test_a_file_prepare_fails_on_fails_visibly_and_is_claimed_when_uploaded_again(
    tmp_path: Path, fault: str, error: str
) -> None:
    """Prepare fails past its retries before it claims the file (throttled, or the file unreadable): the run
    fails naming the error, and a re-upload claims the file afresh."""
    plan = FaultPlan(rates={fault: 1.0}, seed=10, functions=frozenset({PREPARE}))
    run = run_scenario(_small(10, files=1), plan, tmp_path, faulted_retries=1)
    verify(run)
    for tries in run.files:
        assert [a.result.status for a in tries.attempts] == ["failed", "failed", "completed"], run.headline()
        for attempt in tries.attempts[:-1]:
            reason = str(attempt.result.reason)
            assert tries.file.key in reason and re.search(error, reason), reason


@pytest.mark.parametrize("fault", ["lambda-crash", "lambda-timeout"])
def test_chunks_dying_midway_are_redone_to_the_outcomes_of_a_first_run(tmp_path: Path, fault: str) -> None:
    """Every chunk invocation is set to die at a random call among its first 21: one that gets that far dies
    with its orders, quarantine messages and record events half written, and is redone by its retry or by the run's
    retry (a run fails when one chunk dies five times over)."""
    run = _run(tmp_path, {fault: 1.0}, seed=11, functions=frozenset({VALIDATE_CHUNK}))
    assert run.injected[fault] > 0, run.headline()


def test_a_batch_never_done_fails_the_run_instead_of_retrying_forever(tmp_path: Path) -> None:
    """sqs-failed at rate 1: every SendMessageBatch leaves an entry unsent; the bounded resend gives up and
    the chunk fails (a retry loop without a bound would run the chunk to its timeout, again and again)."""
    plan = FaultPlan(rates={"sqs-failed": 1.0}, seed=12, functions=frozenset({VALIDATE_CHUNK}))
    run = run_scenario(_small(12, files=1, partitions=1), plan, tmp_path, faulted_retries=0)
    verify(run)
    [tries] = run.files
    assert [a.result.status for a in tries.attempts] == ["failed", "completed"], run.headline()
    assert "still unprocessed after" in str(tries.attempts[0].result.reason)
