"""Step Functions: moto checks a state's output size but not its input; the engine checks both. moto reports a
Distributed Map with a failed child as succeeded; the engine fails it past its tolerated failures, as AWS does.
Retry waits last their real seconds in both, and on the engine can be scaled for tests (retry_wait_scale). And
how an execution ended, which moto answers without any addition."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from salesdq_engine import stepfunctions
from salesdq_engine.provisioning import ROLE_ARN
from services.dal.executions import ExecutionNotFoundError, Executions, execution_arn

from .helpers import attempts, distributed_map_machine, items, pass_machine, retried_machine, start, wait


def test_moto_alone_accepts_an_oversize_state_input_but_not_an_oversize_output(plain_moto):
    assert plain_moto["big_input"] == ["SUCCEEDED", None]
    # moto already checks outputs: if this ever fails, it stopped; if big_input fails, our addition is redundant
    assert plain_moto["big_output"] == ["FAILED", "States.DataLimitExceeded"]


def test_engine_fails_a_state_whose_input_is_over_256_kib(engine):
    sfn = engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-input-limit", {"ok": True})

    too_big = wait(sfn, start(sfn, machine, json.dumps({"x": "a" * (257 * 1024)})))
    fits = wait(sfn, start(sfn, machine, json.dumps({"x": "a" * (200 * 1024)})))

    assert (too_big["status"], too_big.get("error")) == ("FAILED", "States.DataLimitExceeded")
    assert "received an input larger than 256 KiB" in too_big.get("cause", "")
    assert fits["status"] == "SUCCEEDED"
    assert json.loads(fits["output"]) == {"ok": True}


def test_engine_still_fails_an_oversize_output(engine):
    sfn = engine.client("stepfunctions")
    machine = pass_machine(engine, "probe-output-limit", {"x": "a" * (300 * 1024)})
    described = wait(sfn, start(sfn, machine, "{}"))
    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")


# ------------------------------------------------------------------ a Distributed Map's tolerated failures


def test_moto_alone_reports_a_distributed_map_with_a_failed_child_as_succeeded(plain_moto):
    # if this ever fails, moto judges the tolerated failures itself and the engine's addition may be redundant
    assert plain_moto["map_failed_child"]["status"] == "SUCCEEDED"
    assert plain_moto["map_failed_child"]["error"] is None
    assert json.loads(plain_moto["map_failed_child"]["output"]) == [{"fail": False}, None, {"fail": False}]
    assert plain_moto["map_failed_child"]["map_run"] == ["MapRunStarted", "MapRunSucceeded"]


def test_engine_fails_a_distributed_map_with_a_failed_child_by_default(engine):
    sfn = engine.client("stepfunctions")
    machine = distributed_map_machine(engine, "probe-map-default", {})
    caught = distributed_map_machine(engine, "probe-map-caught", {}, caught=True)

    failed = wait(sfn, start(sfn, machine, items(failing=1, of=3)))
    assert (failed["status"], failed.get("error")) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert failed.get("cause") == "The specified tolerated failure threshold was exceeded"
    history = sfn.get_execution_history(executionArn=failed["executionArn"])["events"]
    map_run = [e for e in history if e["type"].startswith("MapRun")]
    assert [e["type"] for e in map_run] == ["MapRunStarted", "MapRunFailed"]
    assert map_run[1]["mapRunFailedEventDetails"]["error"] == "States.ExceedToleratedFailureThreshold"
    assert not [e for e in history if e["type"] == "MapStateSucceeded"]

    # the Map state's Catch sees the error, as the ingest workflow's does
    handled = wait(sfn, start(sfn, caught, items(failing=1, of=3)))
    assert handled["status"] == "SUCCEEDED"
    assert json.loads(handled["output"])["error"] == {
        "Error": "States.ExceedToleratedFailureThreshold",
        "Cause": "The specified tolerated failure threshold was exceeded",
    }

    # no failed child: the Map state succeeds with every child's result, as on moto
    clean = wait(sfn, start(sfn, machine, items(failing=0, of=3)))
    assert clean["status"] == "SUCCEEDED"
    assert json.loads(clean["output"]) == [{"fail": False}] * 3


@pytest.mark.parametrize(
    ("tolerance", "failing", "status"),
    [
        ({"ToleratedFailureCount": 1}, 1, "SUCCEEDED"),  # the percentage, not given, does not apply
        # (moto parses a percentage written as a decimal number only, so 50.0 rather than 50)
        ({"ToleratedFailureCount": 1}, 2, "FAILED"),
        ({"ToleratedFailurePercentage": 50.0}, 2, "SUCCEEDED"),  # 2 of 4: 50%, not more
        ({"ToleratedFailurePercentage": 50.0}, 3, "FAILED"),
        ({"ToleratedFailurePercentage": 100.0}, 4, "SUCCEEDED"),
        ({"ToleratedFailureCount": 0}, 1, "FAILED"),
        ({"ToleratedFailureCount": 3, "ToleratedFailurePercentage": 25.0}, 2, "FAILED"),  # either one exceeded
        ({"ToleratedFailureCount": 1, "ToleratedFailurePercentage": 75.0}, 2, "FAILED"),
    ],
)
def test_engine_fails_a_distributed_map_past_the_tolerated_count_or_percentage(engine, tolerance, failing, status):
    sfn = engine.client("stepfunctions")
    name = "probe-map-" + "-".join(f"{k[17:]}{v}" for k, v in tolerance.items()) + f"-{failing}"
    described = wait(sfn, start(sfn, distributed_map_machine(engine, name, tolerance), items(failing, of=4)))
    assert described["status"] == status
    if status == "FAILED":
        assert described.get("error") == "States.ExceedToleratedFailureThreshold"


# ------------------------------------------------------------------ Retry waits, scaled for tests


def test_moto_alone_waits_a_retrys_interval_in_real_seconds(plain_moto):
    assert plain_moto["retry"]["status"] == "FAILED" and plain_moto["retry"]["error"] == "Probe"
    assert plain_moto["retry"]["attempts"] == 2
    assert plain_moto["retry"]["elapsed_s"] >= 1.0  # IntervalSeconds 1, slept for real (retrier_decl's time.sleep)


def test_engine_waits_real_seconds_by_default_and_scaled_seconds_when_asked(engine):
    sfn = engine.client("stepfunctions")
    machine = retried_machine(engine, "probe-retried")

    def run() -> tuple[int, float]:
        started = time.perf_counter()
        described = wait(sfn, start(sfn, machine, "{}"))
        assert (described["status"], described.get("error")) == ("FAILED", "Probe")
        return attempts(sfn, described), time.perf_counter() - started

    assert engine.retry_wait_scale == 1.0
    faithful_attempts, faithful_s = run()
    stepfunctions.scale_retry_waits(0.01)
    try:
        scaled_attempts, scaled_s = run()
    finally:
        stepfunctions.scale_retry_waits(engine.retry_wait_scale)
    assert faithful_attempts == scaled_attempts == 2  # the same decisions, only shorter waits
    assert faithful_s >= 1.0
    assert scaled_s < 0.5
    with pytest.raises(ValueError, match="retry wait scale"):
        stepfunctions.scale_retry_waits(float("inf"))


# ------------------------------------------------------------------ no addition: how an execution ended


def test_engine_reports_how_its_executions_ended_as_prepare_reads_it(engine):
    """Prepare asks how the execution holding a file's claim ended (services/dal/executions.py) by
    an ARN it builds from the machine's; moto answers that for the executions it runs, so the engine adds
    nothing. If a moto upgrade breaks this, a re-upload of a failed file stays a duplicate."""
    sfn = engine.client("stepfunctions")
    ends = {
        "StartAt": "How",
        "States": {
            "How": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.end", "StringEquals": "fail", "Next": "Fail"},
                    {"Variable": "$.end", "StringEquals": "wait", "Next": "Wait"},
                ],
                "Default": "Pass",
            },
            "Fail": {"Type": "Fail", "Error": "Probe", "Cause": "asked to"},
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Pass"},
            "Pass": {"Type": "Pass", "End": True},
        },
    }
    machine = sfn.create_state_machine(name="probe-ends", definition=json.dumps(ends), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]
    statuses = Executions(client=sfn)

    def started(end: str) -> str:
        name = f"probe-{end}-{uuid.uuid4()}"
        described = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"end": end}))
        arn = execution_arn(machine, name)
        assert described["executionArn"] == arn  # the ARN Prepare builds is the one Step Functions gives
        return arn

    succeeded, failed, waiting = started("pass"), started("fail"), started("wait")
    wait(sfn, succeeded)
    wait(sfn, failed)

    assert statuses.status(succeeded) == "SUCCEEDED"
    assert statuses.status(failed) == "FAILED"
    assert statuses.status(waiting) == "RUNNING"
    sfn.stop_execution(executionArn=waiting)
    wait(sfn, waiting)  # moto stops an execution asynchronously, as AWS may
    assert statuses.status(waiting) == "ABORTED"
    with pytest.raises(ExecutionNotFoundError):
        statuses.status(execution_arn(machine, "never-started"))
