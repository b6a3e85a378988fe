"""Billable units and their price: pure arithmetic the engine feeds."""

from __future__ import annotations

import pytest

from salesdq_engine import metering
from salesdq_engine.metering import Usage, attribute_value_size, item_size, read_units, sqs_requests, write_units


@pytest.mark.parametrize(
    ("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (3072, 3), (3073, 4), (400_000, 391)]
)
def test_write_units(size, units):
    assert write_units(size) == units


@pytest.mark.parametrize(
    ("size", "consistent", "units"),
    [(0, True, 1), (4096, True, 1), (4097, True, 2), (0, False, 0.5), (4097, False, 1.0), (1_000_000, True, 245)],
)
def test_read_units(size, consistent, units):
    assert read_units(size, consistent) == units


@pytest.mark.parametrize(("size", "requests"), [(0, 1), (65536, 1), (65537, 2), (256 * 1024, 4)])
def test_sqs_requests_are_billed_per_64k_chunk(size, requests):
    assert sqs_requests(size) == requests


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),
        ({"B": "xyz"}, 3),
        ({"N": "12"}, 2),
        ({"N": "-123.45"}, 4),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"M": {"ab": {"S": "xyz"}}}, 3 + 2 + 3 + 1),
        ({"L": [{"S": "a"}, {"N": "1"}]}, 3 + (1 + 1) + (2 + 1)),
        ({"SS": ["a", "bc"]}, 3),
    ],
)
def test_attribute_value_size(value, size):
    assert attribute_value_size(value) == size


def test_item_size_counts_names_and_values():
    item = {"OrderId": {"S": "A-1"}, "qty": {"N": "4"}}
    assert item_size(item) == len("OrderId") + 3 + len("qty") + 2


def test_usage_add_snapshot_minus():
    usage = Usage()
    usage.add(dynamodb_write_units=3, sqs_requests=2)
    before = usage.snapshot()
    usage.add(dynamodb_write_units=4, lambda_gb_seconds=0.5)
    delta = usage.minus(before)
    assert delta.dynamodb_write_units == 4
    assert delta.sqs_requests == 0
    assert delta.lambda_gb_seconds == 0.5
    assert before.dynamodb_write_units == 3  # a snapshot does not move


def test_report_prices_and_per_million_math():
    usage = Usage(
        state_transitions=1000,
        lambda_requests=1_000_000,
        lambda_gb_seconds=1000.0,
        dynamodb_write_units=2_000_000,
        dynamodb_read_units=8_000_000,
        sqs_requests=1_000_000,
        s3_class_a_requests=1000,
        s3_class_b_requests=10_000,
    )
    report = usage.report(records=500_000)
    cost = report["cost_usd"]
    assert cost["step_functions"] == pytest.approx(0.025, abs=1e-6)
    assert cost["lambda"] == pytest.approx(0.20 + 1000 * 0.0000166667, abs=1e-6)
    assert cost["dynamodb"] == pytest.approx(2 * 0.625 + 8 * 0.125, abs=1e-6)
    assert cost["sqs"] == pytest.approx(0.40, abs=1e-6)
    assert cost["s3"] == pytest.approx(0.005 + 0.004, abs=1e-6)
    total = 0.025 + 0.20 + 0.0166667 + 1.25 + 1.0 + 0.40 + 0.009
    assert report["total_usd"] == pytest.approx(total, abs=1e-6)
    assert report["usd_per_million_records"] == pytest.approx(total * 2, abs=1e-4)
    assert report["units"]["dynamodb_write_units"] == 2_000_000
    assert "_lock" not in report["units"]


def test_report_with_no_records_has_no_per_million_cost():
    assert Usage(lambda_requests=5).report(records=0)["usd_per_million_records"] == 0.0


def test_prices_are_per_unit():
    assert pytest.approx(0.625) == metering.PRICE_WRITE_UNIT * 1_000_000
    assert pytest.approx(0.025) == metering.PRICE_TRANSITION * 1000
