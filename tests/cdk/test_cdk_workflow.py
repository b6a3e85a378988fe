"""S3 -> EventBridge rule -> state machine wiring, the ASL substitutions and the machine's grants."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cdk_synth import Synth

from cdk.capabilities.ingest_workflow import definition_substitutions
from cdk.capabilities.nag import logical_id
from salesdq import resources

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
ASL_FILES = sorted(resources.ASL_DIR.glob("*.asl.json"))
MACHINES = [v for v in vars(resources).values() if isinstance(v, resources.StateMachineSpec)]


def _state_machine(synth: Synth) -> dict[str, Any]:
    return synth.raw["Resources"][logical_id(synth.stack.ingest.state_machine)]


def test_rule_pattern_is_resources_pattern_for_the_inbox_bucket(synth: Synth) -> None:
    _, rule = synth.one("AWS::Events::Rule", Name=resources.INGEST_RULE)
    bucket_ref = {"Ref": logical_id(synth.stack.inbox.bucket)}
    assert rule["Properties"]["EventPattern"] == resources.ingest_event_pattern(bucket_ref)  # type: ignore[arg-type]
    assert rule["Properties"]["State"] == "ENABLED"


def test_rule_targets_the_state_machine_with_retries_and_an_encrypted_event_dead_letter_queue(synth: Synth) -> None:
    _, rule = synth.one("AWS::Events::Rule", Name=resources.INGEST_RULE)
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": logical_id(synth.stack.ingest.state_machine)}
    dead_letters_id = logical_id(synth.stack.ingest.dead_letters)
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dead_letters_id, "Arn"]}}
    assert synth.raw["Resources"][dead_letters_id]["Properties"]["SqsManagedSseEnabled"] is True
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600
    # EventBridge may only start this machine.
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    assert synth.raw["Resources"][role_id]["Type"] == "AWS::IAM::Role"
    statements = synth.policy_statements(role_id)
    assert statements == [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": target["Arn"]}]


def test_state_machine_is_standard_traced_and_logged(synth: Synth) -> None:
    props = _state_machine(synth)["Properties"]
    assert props["StateMachineName"] == resources.INGEST.name
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_every_asl_placeholder_has_a_substitution_and_none_is_unused(path: Path) -> None:
    users = [m for m in MACHINES if m.definition == path]
    assert users, f"{path.name} is not the definition of any state machine in salesdq.resources"
    placeholders = set(PLACEHOLDER.findall(path.read_text()))
    for machine in users:
        assert placeholders == set(machine.functions), machine.id
        assert set(machine.functions.values()) <= {f.id for f in resources.FUNCTIONS}


def test_asl_files_are_plain_json() -> None:
    for path in ASL_FILES:
        assert json.loads(path.read_text())["StartAt"]


def test_deployed_definition_is_the_asl_file_with_every_placeholder_substituted(synth: Synth) -> None:
    props = _state_machine(synth)["Properties"]
    # DefinitionBody.from_file ships the ASL file as an asset; CloudFormation substitutes at deploy time.
    asset = synth.outdir / f"asset.{props['DefinitionS3Location']['Key']}"
    assert json.loads(asset.read_text()) == json.loads(resources.INGEST.definition.read_text())
    functions = synth.stack.workflow_functions.functions
    assert props["DefinitionSubstitutions"] == {
        placeholder: {"Fn::GetAtt": [logical_id(functions[fid]), "Arn"]}
        for placeholder, fid in resources.INGEST.functions.items()
    }
    assert set(PLACEHOLDER.findall(asset.read_text())) == set(props["DefinitionSubstitutions"])


def test_definition_substitutions_map_placeholders_to_function_arns(synth: Synth) -> None:
    functions = synth.stack.workflow_functions.functions
    subs = definition_substitutions(resources.INGEST, functions)
    assert subs == {p: functions[f].function_arn for p, f in resources.INGEST.functions.items()}


def _machine_statements(synth: Synth) -> list[dict[str, Any]]:
    return synth.policy_statements(_state_machine(synth)["Properties"]["RoleArn"]["Fn::GetAtt"][0])


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_state_machine_grants_are_explicit(synth: Synth) -> None:
    statements = _machine_statements(synth)
    assert all("*" not in a for s in statements for a in _actions(s)), "wildcard action"
    by_action = {a: s["Resource"] for s in statements for a in _actions(s)}
    functions = synth.stack.workflow_functions.functions
    assert by_action["lambda:InvokeFunction"] == [
        {"Fn::GetAtt": [logical_id(functions[f]), "Arn"]} for f in resources.INGEST.functions.values()
    ]
    bucket = logical_id(synth.stack.inbox.bucket)
    assert by_action["s3:GetObject"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/staging/*"]]}
    # Distributed Map child executions: start this machine, describe/stop its executions.
    start = json.dumps(by_action["states:StartExecution"])
    assert start.endswith(f':stateMachine:{resources.INGEST.name}"]]}}')
    for action in ("states:DescribeExecution", "states:StopExecution"):
        assert json.dumps(by_action[action]).endswith(f':execution:{resources.INGEST.name}/*"]]}}')
