"""The salesdq stack: wires one construct per capability and publishes the operator outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.capabilities.audit_log import AuditLogConstruct
from cdk.capabilities.inbox import InboxConstruct
from cdk.capabilities.ingest_workflow import IngestWorkflowConstruct
from cdk.capabilities.monitoring import MonitoringConstruct
from cdk.capabilities.orders import OrdersConstruct
from cdk.capabilities.quarantine import QuarantineConstruct
from cdk.capabilities.redrive import RedriveConstruct
from cdk.capabilities.workflow_functions import FunctionWiring, WorkflowFunctionsConstruct
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
        self.inbox = InboxConstruct(self, "Inbox")
        self.orders = OrdersConstruct(self, "Orders")
        self.audit = AuditLogConstruct(self, "Audit")
        self.quarantine = QuarantineConstruct(self, "Quarantine")
        wiring = FunctionWiring(
            bucket=self.inbox.bucket,
            orders=self.orders.table,
            audit=self.audit.table,
            quarantine=self.quarantine.queue,
            leases=self.orders.leases,
            quarantined=self.quarantine.view,
        )
        self.workflow_functions = WorkflowFunctionsConstruct(
            self, "Validation", wiring=wiring, install_dependencies=install_dependencies
        )
        self.ingest = IngestWorkflowConstruct(
            self, "Ingest", bucket=self.inbox.bucket, functions=self.workflow_functions.functions
        )
        self.redrive = RedriveConstruct(
            self,
            "Redrive",
            wiring=wiring,
            state_machine=self.ingest.state_machine,
            code=self.workflow_functions.code,
            layer=self.workflow_functions.dependencies,
        )
        self.functions = {**self.workflow_functions.functions, resources.REDRIVE.id: self.redrive.function}
        self.monitoring = MonitoringConstruct(
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
            resources.OUTPUT_QUARANTINED_TABLE: self.quarantine.view.table_name,
        }
        for key, output in outputs.items():
            CfnOutput(self, key, value=output)
