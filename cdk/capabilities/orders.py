"""The orders table: one item per valid order, keyed as salesdq.resources.ORDERS says; and the leases
table (salesdq.resources.LEASES) whose slot leases guard writes to it (services/dal/leases_table.py)."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.capabilities.nag import suppress
from cdk.capabilities.tables import build_table
from salesdq import resources

# services.dal.leases_table writes each lease's expiry (epoch seconds) here; DynamoDB's TTL deletes it.
LEASE_EXPIRY_ATTRIBUTE = "expires_at"


class OrdersConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str = "Orders") -> None:
        super().__init__(scope, construct_id)
        self.table: dynamodb.Table = build_table(self, resources.ORDERS)
        self.leases: dynamodb.Table = build_table(
            self,
            resources.LEASES,
            system_of_record=False,
            time_to_live_attribute=LEASE_EXPIRY_ATTRIBUTE,
        )
        suppress(
            self.leases,
            "AwsSolutions-DDB3",
            "Leases are ephemeral write locks that expire within 15 minutes (TTL on expires_at); a restore "
            "would only bring back expired locks, so there is nothing to recover point-in-time.",
        )
