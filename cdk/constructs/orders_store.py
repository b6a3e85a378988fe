"""The orders table: one item per valid order, keyed as salesdq.resources.ORDERS says."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.constructs._table import build_table
from salesdq import resources


class OrdersStore(Construct):
    def __init__(self, scope: Construct, construct_id: str = "OrdersStore") -> None:
        super().__init__(scope, construct_id)
        self.table: dynamodb.Table = build_table(self, resources.ORDERS)
