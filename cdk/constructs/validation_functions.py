"""The four Lambda functions of salesdq.resources.FUNCTIONS, their environment and their grants."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk import bundling
from cdk.constructs._nag import logical_id, suppress
from salesdq import resources
from services.shared import config

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
LOG_LEVEL = "INFO"
_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}

RUNTIME = lambda_.Runtime(resources.LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON)
ARCHITECTURE = _ARCHITECTURES[resources.LAMBDA_ARCHITECTURE]


class ValidationFunctions(Construct):
    """Every function gets the stores its environment names, and exactly those grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        orders: dynamodb.ITable,
        audit: dynamodb.ITable,
        quarantine: sqs.IQueue,
        install_dependencies: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        values: Mapping[str, str] = {
            config.BUCKET: bucket.bucket_name,
            config.ORDERS_TABLE: orders.table_name,
            config.AUDIT_TABLE: audit.table_name,
            config.QUARANTINE_QUEUE_URL: quarantine.queue_url,
            config.CHUNK_RECORDS: str(resources.CHUNK_RECORDS),
            config.MAX_PARTITIONS: str(resources.MAX_PARTITIONS),
        }
        self.dependencies = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=bundling.dependencies_code(RUNTIME, install=install_dependencies),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="salesdq runtime dependencies (pinned in pyproject.toml)",
        )
        code = bundling.services_code(RUNTIME)
        self.functions: dict[str, lambda_.Function] = {}
        for spec in resources.FUNCTIONS:
            function = self._function(spec, code, values)
            self._grant(function, spec, bucket=bucket, orders=orders, audit=audit, quarantine=quarantine)
            self.functions[spec.id] = function

        suppress(
            self,
            "AwsSolutions-IAM4",
            "AWSLambdaBasicExecutionRole only allows writing the function's own CloudWatch log streams.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ],
        )
        suppress(
            self,
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; "
            "object keys in the inbox are per uploaded file and per run (incoming/, staging/, quarantine "
            "payloads), so object actions are scoped to this one bucket's objects.",
            applies_to=["Resource::*", f"Resource::<{logical_id(bucket)}.Arn>/*"],
        )
        suppress(
            self,
            "AwsSolutions-L1",
            f"The runtime is pinned by salesdq.resources.LAMBDA_RUNTIME ({resources.LAMBDA_RUNTIME}); the "
            "dependency wheels (ijson C extension) are built for it and the code is tested on it.",
        )

    def _function(
        self, spec: resources.Function, code: lambda_.Code, values: Mapping[str, str]
    ) -> lambda_.Function:
        # An explicit log group sets retention without the LogRetention custom-resource Lambda.
        log_group = logs.LogGroup(
            self,
            f"{spec.id}Logs",
            log_group_name=f"/aws/lambda/{spec.name}",
            retention=LOG_RETENTION,
            # Fixed name: a retained group would block the next deploy of the same function name.
            removal_policy=RemovalPolicy.DESTROY,
        )
        environment = {name: values[name] for name in spec.environment}
        environment |= {
            "POWERTOOLS_SERVICE_NAME": spec.service,
            "POWERTOOLS_METRICS_NAMESPACE": resources.POWERTOOLS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
        }
        return lambda_.Function(
            self,
            spec.id,
            function_name=spec.name,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code,
            layers=[self.dependencies],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            reserved_concurrent_executions=spec.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            log_group=log_group,
        )

    @staticmethod
    def _grant(
        function: lambda_.Function,
        spec: resources.Function,
        *,
        bucket: s3.IBucket,
        orders: dynamodb.ITable,
        audit: dynamodb.ITable,
        quarantine: sqs.IQueue,
    ) -> None:
        """Grants follow the environment contract: a function may use a store iff it is told its name."""
        needs = set(spec.environment)
        if config.BUCKET in needs:
            # Explicit actions instead of grant_read_write, whose wildcard actions (s3:GetObject*, ...)
            # include far more than get/put/copy/delete/list of services.shared.dal.staging.
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    resources=[bucket.arn_for_objects("*")],
                )
            )
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
            )
        if config.ORDERS_TABLE in needs:
            orders.grant_read_write_data(function)
        if config.AUDIT_TABLE in needs:
            audit.grant_read_write_data(function)
        if config.QUARANTINE_QUEUE_URL in needs:
            quarantine.grant_send_messages(function)

