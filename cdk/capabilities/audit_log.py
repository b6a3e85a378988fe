"""The audit log table (events per file and chunk, plus the by-day index) from salesdq.resources.AUDIT."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cdk.capabilities.tables import build_table
from salesdq import resources


class AuditLogConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str = "Audit") -> None:
        super().__init__(scope, construct_id)
        self.table: dynamodb.Table = build_table(self, resources.AUDIT)
