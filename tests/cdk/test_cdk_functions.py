"""Lambda functions: settings from salesdq.resources, environment contract, tracing, logs, grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_synth import Synth

from cdk.capabilities import grants
from cdk.capabilities.nag import logical_id
from salesdq import resources
from services.runtime import config


def _function(synth: Synth, spec: resources.FunctionSpec) -> dict[str, Any]:
    return synth.one("AWS::Lambda::Function", FunctionName=spec.name)[1]["Properties"]


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_function_settings_come_from_resources(synth: Synth, spec: resources.FunctionSpec) -> None:
    props = _function(synth, spec)
    assert props["Runtime"] == resources.LAMBDA_RUNTIME
    assert props["Architectures"] == [resources.LAMBDA_ARCHITECTURE]
    assert props["Handler"] == spec.handler
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s
    assert props["ReservedConcurrentExecutions"] == spec.reserved_concurrency
    assert props["Layers"] == [{"Ref": logical_id(synth.stack.workflow_functions.dependencies)}]


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_tracing_is_active(synth: Synth, spec: resources.FunctionSpec) -> None:
    assert _function(synth, spec)["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_environment_follows_the_config_contract(synth: Synth, spec: resources.FunctionSpec) -> None:
    stack = synth.stack
    values = {
        config.BUCKET: {"Ref": logical_id(stack.inbox.bucket)},
        config.ORDERS_TABLE: {"Ref": logical_id(stack.orders.table)},
        config.AUDIT_TABLE: {"Ref": logical_id(stack.audit.table)},
        config.QUARANTINE_QUEUE_URL: {"Ref": logical_id(stack.quarantine.queue)},
        config.LEASES_TABLE: {"Ref": logical_id(stack.orders.leases)},
        config.QUARANTINED_TABLE: {"Ref": logical_id(stack.quarantine.view)},
        config.CHUNK_RECORDS: str(resources.CHUNK_RECORDS),
        config.MAX_PARTITIONS: str(resources.MAX_PARTITIONS),
        config.LEASE_SECONDS: str(resources.LEASE_SECONDS),
        config.STATE_MACHINE_ARN: {"Ref": logical_id(stack.ingest.state_machine)},
    }
    expected = {name: values[name] for name in spec.environment} | {
        "POWERTOOLS_SERVICE_NAME": spec.service,
        "POWERTOOLS_METRICS_NAMESPACE": resources.POWERTOOLS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    assert _function(synth, spec)["Environment"]["Variables"] == expected


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_log_group_has_retention(synth: Synth, spec: resources.FunctionSpec) -> None:
    props = _function(synth, spec)
    group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    group = synth.raw["Resources"][group_id]["Properties"]
    assert group["LogGroupName"] == f"/aws/lambda/{spec.name}"
    assert group["RetentionInDays"] > 0


def _statements(synth: Synth, spec: resources.FunctionSpec) -> list[dict[str, Any]]:
    return synth.policy_statements(_function(synth, spec)["Role"]["Fn::GetAtt"][0])


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_grants_are_the_calls_its_code_makes_on_those_stores_only(synth: Synth, spec: resources.FunctionSpec) -> None:
    """cdk.capabilities.grants: per store, exactly its actions on that store's ARN; no other store, no wildcard
    action (tests/iam checks the table against the calls a recorded run makes)."""
    statements = _statements(synth, spec)
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not [a for a in actions if "*" in a], "wildcard action"
    stack = synth.stack
    bucket = logical_id(stack.inbox.bucket)
    arns = {
        **{
            grants.objects(prefix): {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{prefix}*"]]}
            for prefix in grants.PREFIXES
        },
        grants.BUCKET: {"Fn::GetAtt": [bucket, "Arn"]},
        grants.ORDERS: {"Fn::GetAtt": [logical_id(stack.orders.table), "Arn"]},
        grants.AUDIT: {"Fn::GetAtt": [logical_id(stack.audit.table), "Arn"]},
        grants.LEASES: {"Fn::GetAtt": [logical_id(stack.orders.leases), "Arn"]},
        grants.QUARANTINED: {"Fn::GetAtt": [logical_id(stack.quarantine.view), "Arn"]},
        grants.QUEUE: {"Fn::GetAtt": [logical_id(stack.quarantine.queue), "Arn"]},
    }
    on_stores = {json.dumps(s["Resource"]): s for s in statements if s["Resource"] in arns.values()}
    expected = {json.dumps(arns[store]): sorted(actions) for store, actions in grants.GRANTS[spec.id].items()}
    assert {
        r: sorted([s["Action"]] if isinstance(s["Action"], str) else s["Action"]) for r, s in on_stores.items()
    } == (expected)
    consume = {"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"}
    # Only the sweep reads and deletes quarantine messages; only the redrive starts executions.
    assert (consume <= actions) == (spec is resources.SWEEP)
    assert not (consume & actions) or spec is resources.SWEEP
    if spec is resources.REDRIVE:
        (start,) = [s for s in statements if s["Action"] == "states:StartExecution"]
        assert start["Resource"] == {"Ref": logical_id(stack.ingest.state_machine)}
    else:
        assert "states:StartExecution" not in actions


@pytest.mark.parametrize("spec", resources.ALL_FUNCTIONS, ids=lambda f: f.id)
def test_every_function_knows_the_leases_table(synth: Synth, spec: resources.FunctionSpec) -> None:
    assert config.LEASES_TABLE in spec.environment
    leases = {"Ref": logical_id(synth.stack.orders.leases)}  # Ref of a table is its name
    assert _function(synth, spec)["Environment"]["Variables"][config.LEASES_TABLE] == leases


def test_only_validate_chunk_may_read_or_write_the_leases_table(synth: Synth) -> None:
    """Leases guard order writes; validate-chunk is the only writer of orders in a batch."""
    leases = logical_id(synth.stack.orders.leases)
    users = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if leases in str(statement["Resource"]):
                users |= {r["Ref"] for r in policy["Properties"]["Roles"]}
    validate_chunk = _function(synth, resources.VALIDATE_CHUNK)["Role"]["Fn::GetAtt"][0]
    assert users == {validate_chunk}
    granted = {
        a
        for s in _statements(synth, resources.VALIDATE_CHUNK)
        if leases in str(s["Resource"])
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert granted == {"dynamodb:PutItem", "dynamodb:DeleteItem"}  # LeasesTable.acquire / release


def test_only_the_workflow_functions_are_invoked_by_the_state_machine(synth: Synth) -> None:
    assert set(synth.stack.workflow_functions.functions) == {f.id for f in resources.FUNCTIONS}
    assert resources.REDRIVE.id not in synth.stack.workflow_functions.functions


def test_only_prepare_and_redrive_may_describe_executions_and_only_top_level_ingest_executions(synth: Synth) -> None:
    """Prepare asks how the execution holding a file's claim ended, the redrive whether a request that died
    started its own (`redrive-<request id>`); nothing else may, and nothing more."""
    names = {resources.PREPARE: "*", resources.REDRIVE: "redrive-*"}
    for spec in resources.ALL_FUNCTIONS:
        statements = _statements(synth, spec)
        describing = [s for s in statements if "states:DescribeExecution" in json.dumps(s["Action"])]
        if spec not in names:
            assert describing == [], spec.id
            continue
        (statement,) = describing
        assert statement["Action"] == "states:DescribeExecution"
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":states:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    f":execution:{resources.INGEST.name}:{names[spec]}",  # not the Map's children (`<machine>/...`)
                ],
            ]
        }  # one ARN pattern, never "*"


def test_the_published_contracts_are_read_only_by_the_functions_that_judge_and_only_under_their_prefix(
    synth: Synth,
) -> None:
    """The active pointer and the published contracts (contracts/): Prepare reads the pointer when a run starts,
    ValidateChunk and Finalize their run's contract, the redrive function the active one; each may only
    s3:GetObject under contracts/*, and no function may write there (publishing is the operator's, not a function's)."""
    bucket = logical_id(synth.stack.inbox.bucket)
    contracts_arn = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/contracts/*"]]}
    readers = set()
    for spec in resources.ALL_FUNCTIONS:
        on_contracts = [s for s in _statements(synth, spec) if contracts_arn in _resources(s)]
        actions = {a for s in on_contracts for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert actions in (set(), {"s3:GetObject"}), (spec.id, actions)
        assert all(_resources(s) == [contracts_arn] for s in on_contracts), spec.id  # that prefix alone
        if actions:
            readers.add(spec.id)
    assert readers == {resources.PREPARE.id, resources.VALIDATE_CHUNK.id, resources.FINALIZE.id, resources.REDRIVE.id}


def _resources(statement: dict[str, Any]) -> list[Any]:
    found = statement["Resource"]
    return found if isinstance(found, list) else [found]
