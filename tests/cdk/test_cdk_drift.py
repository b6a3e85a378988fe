"""Drift: the template's tables and queue are exactly what salesdq/resources.py (the embedded engine) says."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synth import Synth

from salesdq import resources


def _key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key:
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return schema


def _expected_table(table: resources.TableSpec) -> dict[str, Any]:
    return {
        "KeySchema": _key_schema(table.partition_key, table.sort_key),
        "AttributeDefinitions": sorted(
            ({"AttributeName": n, "AttributeType": t} for n, t in table.attributes.items()),
            key=lambda a: a["AttributeName"],
        ),
        "GlobalSecondaryIndexes": sorted(
            (
                {
                    "IndexName": i.name,
                    "KeySchema": _key_schema(i.partition_key, i.sort_key),
                    "Projection": {"ProjectionType": i.projection},
                }
                for i in table.indexes
            ),
            key=lambda i: i["IndexName"],
        ),
    }


def _actual_table(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "GlobalSecondaryIndexes": sorted(properties.get("GlobalSecondaryIndexes", []), key=lambda i: i["IndexName"]),
    }


@pytest.mark.parametrize("table", resources.TABLES, ids=lambda t: t.id)
def test_table_keys_and_indexes_match_resources(synth: Synth, table: resources.TableSpec) -> None:
    _, resource = synth.one("AWS::DynamoDB::Table", TableName=table.name)
    assert _actual_table(resource["Properties"]) == _expected_table(table)


def test_every_template_table_is_defined_in_resources(synth: Synth) -> None:
    names = {r["Properties"]["TableName"] for r in synth.resources("AWS::DynamoDB::Table").values()}
    assert names == {t.name for t in resources.TABLES}


def test_quarantine_queue_attributes_match_resources(synth: Synth) -> None:
    _, queue = synth.one("AWS::SQS::Queue", QueueName=resources.QUARANTINE.name)
    # SQS attribute names are also the CloudFormation property names; the template holds numbers.
    actual = {name: str(queue["Properties"].get(name)) for name in resources.QUARANTINE.attributes}
    assert actual == resources.QUARANTINE.attributes


def test_quarantine_queue_keeps_messages_14_days(synth: Synth) -> None:
    _, queue = synth.one("AWS::SQS::Queue", QueueName=resources.QUARANTINE.name)
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_queue_attribute_without_mapping_fails_the_synth() -> None:
    from cdk.capabilities.quarantine import queue_props

    with pytest.raises(ValueError, match="RedrivePolicy"):
        queue_props({**resources.QUARANTINE.attributes, "RedrivePolicy": "{}"})
