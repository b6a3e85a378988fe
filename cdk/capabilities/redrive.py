"""The operators' redrive function (resources.REDRIVE): corrected quarantined records -> a new execution."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.capabilities.workflow_functions import FunctionWiring, build_function
from salesdq import resources
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
        wiring.acknowledge(self)
