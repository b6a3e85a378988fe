"""A re-upload may take over a file's claim only from an execution that ended unfinished, found by its ARN."""

from __future__ import annotations

import pytest

from services.dal.executions import execution_arn
from services.domain import audit_events
from services.domain.run import Run
from services.ingest.claim import GONE, may_take_over
from services.ingest.split import Layout

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:salesdq-ingest"


def test_execution_arn_is_the_machines_arn_with_execution_and_the_name():
    expected = "arn:aws:states:eu-west-1:123456789012:execution:salesdq-ingest:3f2a-run"
    assert execution_arn(MACHINE, "3f2a-run") == expected


@pytest.mark.parametrize(
    "machine",
    [
        "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:salesdq-ingest",
        "arn:aws:states:eu-west-1:123456789012:stateMachine:salesdq-ingest:7",  # a version
        "arn:aws:states:eu-west-1:123456789012:stateMachine:salesdq-ingest:live",  # an alias
    ],
)
def test_execution_arn_keeps_the_partition_and_drops_a_qualifier(machine):
    partition, region = machine.split(":")[1], machine.split(":")[3]
    expected = f"arn:{partition}:states:{region}:123456789012:execution:salesdq-ingest:run-1"
    assert execution_arn(machine, "run-1") == expected


@pytest.mark.parametrize(
    ("machine", "name"),
    [
        ("", "run-1"),
        ("arn:aws:states:eu-west-1:123456789012:execution:salesdq-ingest:other", "run-1"),
        ("arn:aws:lambda:eu-west-1:123456789012:function:salesdq-ingest", "run-1"),
        (MACHINE, ""),
    ],
)
def test_execution_arn_refuses_what_is_not_a_machine_and_a_name(machine, name):
    with pytest.raises(ValueError, match="not a state machine ARN"):
        execution_arn(machine, name)


@pytest.mark.parametrize(
    ("status", "takes_over"),
    [
        ("FAILED", True),
        ("TIMED_OUT", True),
        ("ABORTED", True),
        (GONE, True),
        ("RUNNING", False),  # it may still finish the file; the re-upload is a duplicate event
        ("PENDING_REDRIVE", False),  # a redrive will finish it
        ("SUCCEEDED", False),
        ("", False),
    ],
)
def test_only_an_execution_that_ended_unfinished_gives_up_its_claim(status, takes_over):
    assert may_take_over(status) is takes_over


def test_a_claims_layout_is_the_one_it_records_else_the_current_one():
    current = Layout(partitions=4, chunk_records=1000)
    claim = audit_events.claim(run=Run(file_id="F", file="k", id="T", execution="e"), **Layout(8, 50).fields())
    assert (claim["pk"], claim["sk"]) == ("FINGERPRINT#F", "CLAIM")
    assert Layout.of(claim, current) == Layout(8, 50)
    older = audit_events.claim(
        run=Run(file_id="F", file="k", id="T", execution="e")
    )  # written before layouts were kept
    assert Layout.of(older, current) == current
