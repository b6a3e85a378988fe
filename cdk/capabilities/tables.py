"""A DynamoDB table built from a `salesdq.resources.TableSpec`: keys and GSIs are never retyped."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from salesdq import resources

_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}


def _attribute(name: str, table: resources.TableSpec) -> dynamodb.Attribute:
    kinds = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
    return dynamodb.Attribute(name=name, type=kinds[table.attributes[name]])


def build_table(
    scope: Construct,
    table: resources.TableSpec,
    *,
    system_of_record: bool = True,
    time_to_live_attribute: str | None = None,
) -> dynamodb.Table:
    built = dynamodb.Table(
        scope,
        table.id,
        table_name=table.name,
        partition_key=_attribute(table.partition_key, table),
        sort_key=_attribute(table.sort_key, table) if table.sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=system_of_record
        ),
        time_to_live_attribute=time_to_live_attribute,
        deletion_protection=False,
        # Orders and the audit log are the system of record: `cdk destroy` must not delete them. Leases are
        # locks that expire within minutes: nothing to restore or keep.
        removal_policy=RemovalPolicy.RETAIN if system_of_record else RemovalPolicy.DESTROY,
    )
    for index in table.indexes:
        built.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.partition_key, table),
            sort_key=_attribute(index.sort_key, table),
            projection_type=_PROJECTIONS[index.projection],
        )
    return built
