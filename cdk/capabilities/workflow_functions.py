"""The workflow's Lambda functions (salesdq.resources.FUNCTIONS): code, layer, environment, grants.

`FunctionWiring` and `build_function` are shared with the redrive construct, so every function follows the
same rules: settings from resources.py, environment from config names, grants from grants.GRANTS (the calls
each function's code makes, store by store; every function knows every store's name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk import bundling
from cdk.capabilities import grants
from cdk.capabilities.nag import logical_id, suppress
from salesdq import resources
from services.runtime import config

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}

RUNTIME = lambda_.Runtime(resources.LAMBDA_RUNTIME, lambda_.RuntimeFamily.PYTHON)
ARCHITECTURE = _ARCHITECTURES[resources.LAMBDA_ARCHITECTURE]
BASIC_EXECUTION_ROLE = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@dataclass(frozen=True)
class FunctionWiring:
    bucket: s3.IBucket
    orders: dynamodb.ITable
    audit: dynamodb.ITable
    quarantine: sqs.IQueue
    leases: dynamodb.ITable
    quarantined: dynamodb.ITable

    def environment(self) -> dict[str, str]:
        """config name -> value, for every name a function may list in resources.FunctionSpec.environment."""
        return {
            config.BUCKET: self.bucket.bucket_name,
            config.ORDERS_TABLE: self.orders.table_name,
            config.AUDIT_TABLE: self.audit.table_name,
            config.QUARANTINE_QUEUE_URL: self.quarantine.queue_url,
            config.LEASES_TABLE: self.leases.table_name,
            config.QUARANTINED_TABLE: self.quarantined.table_name,
            config.CHUNK_RECORDS: str(resources.CHUNK_RECORDS),
            config.MAX_PARTITIONS: str(resources.MAX_PARTITIONS),
            config.LEASE_SECONDS: str(resources.LEASE_SECONDS),
        }

    def grant(self, function: lambda_.Function, spec: resources.FunctionSpec) -> None:
        """A function may make the calls its code makes (grants.GRANTS), on those stores only; no wildcards."""
        arns = {
            **{grants.objects(prefix): self.bucket.arn_for_objects(f"{prefix}*") for prefix in grants.PREFIXES},
            grants.BUCKET: self.bucket.bucket_arn,
            grants.ORDERS: self.orders.table_arn,
            grants.AUDIT: self.audit.table_arn,
            grants.LEASES: self.leases.table_arn,
            grants.QUARANTINED: self.quarantined.table_arn,
            grants.QUEUE: self.quarantine.queue_arn,
        }
        for store, actions in grants.GRANTS[spec.id].items():
            function.add_to_role_policy(iam.PolicyStatement(actions=sorted(actions), resources=[arns[store]]))

    def acknowledge(self, scope: Construct) -> None:
        """cdk-nag acknowledgments for functions built with these stores, each with its reason."""
        suppress(
            scope,
            "AwsSolutions-IAM4",
            "AWSLambdaBasicExecutionRole only allows writing the function's own CloudWatch log streams.",
            applies_to=[BASIC_EXECUTION_ROLE],
        )
        suppress(
            scope,
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; "
            "object keys in the inbox are per uploaded file and per run, so object actions are scoped to one "
            "key prefix of this one bucket (cdk/capabilities/grants.py).",
            applies_to=[
                "Resource::*",
                *(f"Resource::<{logical_id(self.bucket)}.Arn>/{prefix}*" for prefix in grants.PREFIXES),
            ],
        )
        suppress(
            scope,
            "AwsSolutions-L1",
            f"The runtime is pinned by salesdq.resources.LAMBDA_RUNTIME ({resources.LAMBDA_RUNTIME}); the "
            "dependency wheels (ijson C extension) are built for it and the code is tested on it.",
        )


def build_function(
    scope: Construct,
    spec: resources.FunctionSpec,
    *,
    code: lambda_.Code,
    layer: lambda_.ILayerVersion,
    values: Mapping[str, str],
) -> lambda_.Function:
    # An explicit log group sets retention without the LogRetention custom-resource Lambda.
    log_group = logs.LogGroup(
        scope,
        f"{spec.id}Logs",
        log_group_name=f"/aws/lambda/{spec.name}",
        retention=LOG_RETENTION,
        # Fixed name: a retained group would block the next deploy of the same function name.
        removal_policy=RemovalPolicy.DESTROY,
    )
    return lambda_.Function(
        scope,
        spec.id,
        function_name=spec.name,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler=spec.handler,
        code=code,
        layers=[layer],
        memory_size=spec.memory_mb,
        timeout=Duration.seconds(spec.timeout_s),
        reserved_concurrent_executions=spec.reserved_concurrency,
        tracing=lambda_.Tracing.ACTIVE,
        environment=resources.function_environment(spec, values),
        log_group=log_group,
    )


class WorkflowFunctionsConstruct(Construct):
    """The functions the ingest state machine invokes, plus the code asset and layer all functions share."""

    def __init__(
        self, scope: Construct, construct_id: str, *, wiring: FunctionWiring, install_dependencies: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.dependencies = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=bundling.dependencies_code(RUNTIME, install=install_dependencies),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="salesdq runtime dependencies (pinned in pyproject.toml)",
        )
        self.code = bundling.services_code(RUNTIME)
        values = wiring.environment()
        self.functions: dict[str, lambda_.Function] = {}
        for spec in resources.FUNCTIONS:
            function = build_function(self, spec, code=self.code, layer=self.dependencies, values=values)
            wiring.grant(function, spec)
            self.functions[spec.id] = function
        wiring.acknowledge(self)
