"""The salesdq stack: wires one construct per capability and publishes the operator outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.constructs.audit_store import AuditStore
from cdk.constructs.inbox_bucket import InboxBucket
from cdk.constructs.ingest_workflow import IngestWorkflow
from cdk.constructs.monitoring import Monitoring
from cdk.constructs.orders_store import OrdersStore
from cdk.constructs.quarantine_queue import QuarantineQueue
from cdk.constructs.redrive import Redrive
from cdk.constructs.validation_functions import Stores, ValidationFunctions
from salesdq import resources

# Feature flags set on the stack (before any child exists) so `python -m cdk.app` and `cdk deploy`
# synthesize the same template whether or not cdk.json's context is read.
FEATURE_FLAGS = {
    # Access log delivery through a bucket policy instead of the LogDeliveryWrite ACL (cfn-lint W3045).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


class SalesdqStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str = resources.STACK_NAME,
        *,
        install_dependencies: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        for flag, value in FEATURE_FLAGS.items():
            self.node.set_context(flag, value)
        self.inbox = InboxBucket(self, "Inbox")
        self.orders = OrdersStore(self, "Orders")
        self.audit = AuditStore(self, "Audit")
        self.quarantine = QuarantineQueue(self, "Quarantine")
        stores = Stores(
            bucket=self.inbox.bucket,
            orders=self.orders.table,
            audit=self.audit.table,
            quarantine=self.quarantine.queue,
            leases=self.orders.leases,
        )
        self.validation = ValidationFunctions(
            self, "Validation", stores=stores, install_dependencies=install_dependencies
        )
        self.ingest = IngestWorkflow(self, "Ingest", bucket=self.inbox.bucket, functions=self.validation.functions)
        self.redrive = Redrive(
            self,
            "Redrive",
            stores=stores,
            state_machine=self.ingest.state_machine,
            code=self.validation.code,
            layer=self.validation.dependencies,
        )
        self.functions = {**self.validation.functions, resources.REDRIVE.id: self.redrive.function}
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            quarantine=self.quarantine.queue,
            state_machine=self.ingest.state_machine,
            functions=self.functions,
        )

        outputs = {
            resources.OUTPUT_BUCKET: self.inbox.bucket.bucket_name,
            resources.OUTPUT_ORDERS_TABLE: self.orders.table.table_name,
            resources.OUTPUT_AUDIT_TABLE: self.audit.table.table_name,
            resources.OUTPUT_QUARANTINE_QUEUE_URL: self.quarantine.queue.queue_url,
            resources.OUTPUT_STATE_MACHINE_ARN: self.ingest.state_machine.state_machine_arn,
            resources.OUTPUT_REDRIVE_FUNCTION: self.redrive.function.function_name,
        }
        for key, output in outputs.items():
            CfnOutput(self, key, value=output)
