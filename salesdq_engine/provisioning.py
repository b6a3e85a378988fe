"""salesdq's stack on the engine, created from salesdq.resources through ordinary boto3 calls.

The inbox bucket with its EventBridge notification, the tables, the quarantine queue, the functions (with
their reserved concurrency), the ingest state machine and the rule that starts it. Nothing here reaches into
moto: what runs on the engine is what these API calls configured.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from salesdq import resources
from salesdq_engine.errors import EngineError
from services.runtime import config

ACCOUNT = "123456789012"  # moto's default account
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/salesdq-engine"


def _placeholder_code() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("README", "the engine runs the handler from its code root; see salesdq_engine/lambda_runtime.py")
    return archive.getvalue()


PLACEHOLDER_CODE = _placeholder_code()


def create_function(
    lambda_client: Any,
    *,
    name: str,
    handler: str,
    memory_mb: int,
    timeout_s: int,
    environment: Mapping[str, str],
    reserved_concurrency: int | None = None,
) -> str:
    """CreateFunction (and PutFunctionConcurrency when a reservation is given): the engine runs `handler`
    from its code root; the deployment package is a placeholder. Returns the function's ARN."""
    arn: str = lambda_client.create_function(
        FunctionName=name,
        Runtime=resources.LAMBDA_RUNTIME,
        Role=ROLE_ARN,
        Handler=handler,
        Code={"ZipFile": PLACEHOLDER_CODE},
        MemorySize=memory_mb,
        Timeout=timeout_s,
        Environment={"Variables": dict(environment)},
    )["FunctionArn"]
    if reserved_concurrency is not None:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved_concurrency)
    return arn


def _create_function(lambda_client: Any, spec: resources.FunctionSpec, values: Mapping[str, str]) -> str:
    return create_function(
        lambda_client,
        name=spec.name,
        handler=spec.handler,
        memory_mb=spec.memory_mb,
        timeout_s=spec.timeout_s,
        environment=resources.function_environment(spec, values),
        reserved_concurrency=spec.reserved_concurrency,
    )


def provision(client: Callable[[str], Any], *, chunk_records: int, max_partitions: int) -> resources.StackNames:
    """Create salesdq's stack with the clients `client(service)` makes; the names of what it made."""
    s3, ddb, sqs, lam = client("s3"), client("dynamodb"), client("sqs"), client("lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": s}, "Action": "sts:AssumeRole"}
            for s in ("lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com")
        ],
    }
    client("iam").create_role(RoleName=ROLE_ARN.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(trust))
    bucket = resources.INBOX_BUCKET
    s3.create_bucket(Bucket=bucket)
    # As the CDK app's inbox: each run reads the version its upload event names.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    for table in resources.TABLES:
        ddb.create_table(**table_request(table))
    queue_url = sqs.create_queue(QueueName=resources.QUARANTINE.name, Attributes=resources.QUARANTINE.attributes)[
        "QueueUrl"
    ]
    values = {
        config.BUCKET: bucket,
        config.ORDERS_TABLE: resources.ORDERS.name,
        config.AUDIT_TABLE: resources.AUDIT.name,
        config.QUARANTINE_QUEUE_URL: queue_url,
        config.LEASES_TABLE: resources.LEASES.name,
        config.QUARANTINED_TABLE: resources.QUARANTINED.name,
        config.CHUNK_RECORDS: str(chunk_records),
        config.MAX_PARTITIONS: str(max_partitions),
        config.LEASE_SECONDS: str(resources.LEASE_SECONDS),
    }
    arns = {spec.id: _create_function(lam, spec, values) for spec in resources.FUNCTIONS}
    definition = render_definition(resources.INGEST, arns)
    machine = client("stepfunctions").create_state_machine(
        name=resources.INGEST.name, definition=definition, roleArn=ROLE_ARN
    )["stateMachineArn"]
    _create_function(lam, resources.REDRIVE, {**values, config.STATE_MACHINE_ARN: machine})
    events = client("events")
    events.put_rule(Name=resources.INGEST_RULE, EventPattern=json.dumps(resources.ingest_event_pattern(bucket)))
    events.put_targets(Rule=resources.INGEST_RULE, Targets=[{"Id": "ingest", "Arn": machine, "RoleArn": ROLE_ARN}])
    return resources.StackNames(
        bucket=bucket,
        orders_table=resources.ORDERS.name,
        audit_table=resources.AUDIT.name,
        quarantine_queue_url=queue_url,
        state_machine_arn=machine,
        redrive_function=resources.REDRIVE.name,
        quarantined_table=resources.QUARANTINED.name,
    )


def table_request(table: resources.TableSpec) -> dict[str, Any]:
    """CreateTable arguments for a resources.TableSpec (the CDK app builds the same keys)."""
    keys = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        keys.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": keys,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in table.attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ]
    return request


def render_definition(machine: resources.StateMachineSpec, function_arns: Mapping[str, str]) -> str:
    """The ASL with its ${Placeholders} replaced, as CDK's definition_substitutions does."""
    text = machine.definition.read_text(encoding="utf-8")
    for placeholder, function_id in machine.functions.items():
        text = text.replace("${" + placeholder + "}", function_arns[function_id])
    if "${" in text:
        raise EngineError(f"{machine.definition.name} has a placeholder with no substitution")
    return text
