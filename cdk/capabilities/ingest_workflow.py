"""S3 upload -> EventBridge rule -> the ingest state machine (asl/ingest.asl.json, substituted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.capabilities.inbox import STAGING_PREFIX
from cdk.capabilities.nag import logical_id, suppress
from salesdq import resources

# S3 emits one event per upload; an event that cannot start an execution within this window is
# parked in the rule's event dead-letter queue for a manual restart instead of being retried forever.
EVENT_MAX_AGE = Duration.hours(2)
EVENT_RETRY_ATTEMPTS = 8
DEAD_LETTER_RETENTION = Duration.days(14)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def definition_substitutions(
    machine: resources.StateMachineSpec, functions: Mapping[str, lambda_.IFunction]
) -> dict[str, str]:
    """ASL placeholder -> ARN of the function resources.py maps it to."""
    return {placeholder: functions[fid].function_arn for placeholder, fid in machine.functions.items()}


class IngestWorkflowConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        machine = resources.INGEST
        stack = Stack.of(self)

        self.log_group = logs.LogGroup(
            self,
            "IngestLogs",
            log_group_name=f"/aws/vendedlogs/states/{machine.name}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            machine.id,
            state_machine_name=machine.name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(machine.definition)),
            definition_substitutions=definition_substitutions(machine, functions),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        used = [functions[fid] for fid in machine.functions.values()]
        # Explicit statements: the file-based definition gives CDK no tasks to derive grants from.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[f.function_arn for f in used])
        )
        # Distributed Map: ItemReader reads the manifest Prepare wrote under staging/.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{STAGING_PREFIX}*")])
        )
        # Distributed Map child workflows are executions of this state machine. The ARNs are built from
        # the fixed name: referencing the machine's own ARN here would be a circular dependency.
        own_arn = states_arn(stack, "stateMachine", machine.name)
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[own_arn])
        )
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[states_arn(stack, "execution", f"{machine.name}/*")],
            )
        )
        # Prepare asks how the execution holding a file's claim ended (a re-upload may take over a failed
        # run's claim): top-level executions only (`<machine>:<name>`), not the Map's children. By name for
        # the same reason: the machine's definition references Prepare's ARN.
        prepare = functions[resources.PREPARE.id]
        prepare.add_to_role_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution"],
                resources=[states_arn(stack, "execution", f"{machine.name}:*")],
            )
        )

        self.dead_letters = sqs.Queue(
            self,
            "IngestRuleDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        self.rule = events.Rule(
            self,
            resources.INGEST_RULE_ID,
            rule_name=resources.INGEST_RULE,
            description="Start the ingest workflow for every sales file uploaded under incoming/",
            event_pattern=events.EventPattern(**_pattern_props(resources.ingest_event_pattern(bucket.bucket_name))),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=self.dead_letters,
                    max_event_age=EVENT_MAX_AGE,
                    retry_attempts=EVENT_RETRY_ATTEMPTS,
                )
            ],
        )

        suppress(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the ingest rule's target.",
        )
        suppress(
            prepare,
            "AwsSolutions-IAM5",
            "Execution names are generated per upload (EventBridge starts them); the grant is DescribeExecution "
            "on this state machine's top-level executions only.",
            applies_to=[f"Resource::{nag_arn(stack, 'states', f'execution:{machine.name}:*')}"],
        )
        suppress(
            self.state_machine,
            "AwsSolutions-IAM5",
            "CloudWatch Logs delivery and X-Ray actions do not support resource-level permissions; the "
            "ItemReader reads per-run manifests under staging/; Distributed Map children are executions "
            "of this state machine with generated names.",
            applies_to=[
                "Resource::*",
                f"Resource::<{logical_id(bucket)}.Arn>/{STAGING_PREFIX}*",
                f"Resource::{nag_arn(stack, 'states', f'execution:{machine.name}/*')}",
            ],
        )


def _pattern_props(pattern: Mapping[str, object]) -> dict[str, Any]:
    """EventBridge JSON keys -> EventPattern props ('detail-type' -> detail_type)."""
    return {key.replace("-", "_"): value for key, value in pattern.items()}


def states_arn(stack: Stack, resource: str, name: str) -> str:
    return stack.format_arn(
        service="states", resource=resource, resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def nag_arn(stack: Stack, service: str, resource: str) -> str:
    """An ARN as cdk-nag prints it: pseudo parameters as <AWS::...>, concrete env values as they are."""

    def part(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = part(stack.partition, "Partition")
    return f"arn:{partition}:{service}:{part(stack.region, 'Region')}:{part(stack.account, 'AccountId')}:{resource}"
