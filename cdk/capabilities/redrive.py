"""The operators' redrive function (resources.REDRIVE): corrected quarantined records -> a new execution."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.capabilities.ingest_workflow import nag_arn, states_arn
from cdk.capabilities.nag import suppress
from cdk.capabilities.workflow_functions import FunctionWiring, build_function
from salesdq import resources
from services.redrive.redrive import EXECUTION_PREFIX
from services.runtime import config


class RedriveConstruct(Construct):
    """Created after the state machine: it needs the machine's ARN, the machine never needs it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        wiring: FunctionWiring,
        state_machine: sfn.IStateMachine,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        spec = resources.REDRIVE
        values = wiring.environment() | {config.STATE_MACHINE_ARN: state_machine.state_machine_arn}
        self.function = build_function(self, spec, code=code, layer=layer, values=values)
        wiring.grant(self.function, spec)
        if config.STATE_MACHINE_ARN in spec.environment:
            state_machine.grant_start_execution(self.function)
            # A request that died before its execution started is finished by the next one, which asks
            # whether it did: the redrive's own executions (`redrive-<request id>`) only, named by prefix.
            stack = Stack.of(self)
            executions = f"execution:{resources.INGEST.name}:{EXECUTION_PREFIX}*"
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["states:DescribeExecution"],
                    resources=[states_arn(stack, "execution", executions.removeprefix("execution:"))],
                )
            )
            suppress(
                self,
                "AwsSolutions-IAM5",
                "Redrive execution names are per request (`redrive-<request id>`); the grant is DescribeExecution "
                "on the ingest state machine's executions with that prefix only.",
                applies_to=[f"Resource::{nag_arn(stack, 'states', executions)}"],
            )
        wiring.acknowledge(self)
