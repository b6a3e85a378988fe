"""Tables, bucket and queue settings: encryption, PITR, TLS-only, lifecycle, outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from cdk_synth import Synth

from cdk import app as cdk_app
from cdk import bundling
from cdk.capabilities import nag
from cdk.capabilities.nag import logical_id
from salesdq import resources
from services.domain.active_contract import CONTRACTS_PREFIX


@pytest.mark.parametrize("table", resources.TABLES, ids=lambda t: t.id)
def test_tables_are_on_demand_with_pitr_and_sse(synth: Synth, table: resources.TableSpec) -> None:
    _, resource = synth.one("AWS::DynamoDB::Table", TableName=table.name)
    props = resource["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # Leases are ephemeral locks (TTL): nothing to restore or keep, so no PITR (acknowledged, see below)
    # and `cdk destroy` deletes them; orders and the audit log are the system of record.
    of_record = table is not resources.LEASES
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": of_record}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert resource["DeletionPolicy"] == ("Retain" if of_record else "Delete")


def test_leases_table_is_keyed_by_pk_and_expires_leases_by_ttl(synth: Synth) -> None:
    table_id, resource = synth.one("AWS::DynamoDB::Table", TableName=resources.LEASES.name)
    assert table_id == logical_id(synth.stack.orders.leases)  # built by the orders-store construct
    props = resource["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "GlobalSecondaryIndexes" not in props


def test_only_the_leases_table_has_ttl(synth: Synth) -> None:
    with_ttl = {
        r["Properties"]["TableName"]
        for r in synth.resources("AWS::DynamoDB::Table").values()
        if "TimeToLiveSpecification" in r["Properties"]
    }
    assert with_ttl == {resources.LEASES.name}


def test_leases_table_without_pitr_is_acknowledged_with_a_reason(synth: Synth) -> None:
    path = synth.stack.orders.leases.node.path
    # ACKNOWLEDGED collects every app built in the session: one reason, however many synths.
    (reason,) = {r for p, rule, r in nag.ACKNOWLEDGED if p == path and rule == "AwsSolutions-DDB3"}
    assert "expire" in reason


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_inbox_bucket_is_private_encrypted_tls_only_and_expires_staging(synth: Synth) -> None:
    bucket_id = logical_id(synth.stack.inbox.bucket)
    props = synth.raw["Resources"][bucket_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert "LoggingConfiguration" in props
    staging = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "staging/"]
    assert staging and staging[0]["ExpirationInDays"] <= 7
    # each run reads the version its event names: two uploads to one key at once are two runs
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    overwritten = [r for r in props["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
    assert overwritten and overwritten[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    policies = [
        p for p in synth.resources("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1 and _denies_insecure_transport(policies[0])


def test_no_lifecycle_rule_expires_the_published_contracts(synth: Synth) -> None:
    """Every contract ever active stays readable: no rule that expires objects covers contracts/ (a rule without a
    prefix covers the whole bucket), and the upload rule starts no run on a write there."""
    props = synth.raw["Resources"][logical_id(synth.stack.inbox.bucket)]["Properties"]
    expiring = [r for r in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r or "ExpirationDate" in r]
    assert expiring  # the scan saw the rules
    assert [r["Id"] for r in expiring if CONTRACTS_PREFIX.startswith(r.get("Prefix", ""))] == []
    assert not CONTRACTS_PREFIX.startswith(resources.INCOMING_PREFIX)


def test_inbox_bucket_sends_events_to_eventbridge(synth: Synth) -> None:
    bucket_id = logical_id(synth.stack.inbox.bucket)
    notifications = [
        r["Properties"]
        for r in synth.resources("Custom::S3BucketNotifications").values()
        if r["Properties"]["BucketName"] == {"Ref": bucket_id}
    ]
    assert notifications == [notifications[0]]
    assert notifications[0]["NotificationConfiguration"] == {"EventBridgeConfiguration": {}}


def test_queues_are_encrypted_and_tls_only(synth: Synth) -> None:
    queues = synth.resources("AWS::SQS::Queue")
    assert len(queues) == 2  # quarantine + the ingest rule's event dead-letter queue
    for queue_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        policies = [
            p
            for p in synth.resources("AWS::SQS::QueuePolicy").values()
            if {"Ref": queue_id} in p["Properties"]["Queues"]
        ]
        assert any(_denies_insecure_transport(p) for p in policies), queue_id


def test_outputs_use_the_stable_keys_from_resources(synth: Synth) -> None:
    stack = synth.stack
    expected = {
        resources.OUTPUT_BUCKET: stack.inbox.bucket,
        resources.OUTPUT_ORDERS_TABLE: stack.orders.table,
        resources.OUTPUT_AUDIT_TABLE: stack.audit.table,
        resources.OUTPUT_QUARANTINE_QUEUE_URL: stack.quarantine.queue,
        resources.OUTPUT_STATE_MACHINE_ARN: stack.ingest.state_machine,
        resources.OUTPUT_REDRIVE_FUNCTION: stack.redrive.function,
        resources.OUTPUT_QUARANTINED_TABLE: stack.quarantine.view,
    }
    assert set(synth.raw["Outputs"]) == set(expected)
    for key, construct in expected.items():
        # Ref of a bucket/table/function is its name, of a queue its URL, of a state machine its ARN.
        assert synth.raw["Outputs"][key]["Value"] == {"Ref": logical_id(construct)}


def _lifecycle(stack_props: dict[str, Any]) -> list[dict[str, Any]]:
    return list(stack_props["LifecycleConfiguration"]["Rules"])


def test_raw_files_are_kept_by_default_and_expire_only_when_a_retention_is_set(synth: Synth, tmp_path: Path) -> None:
    props = synth.raw["Resources"][logical_id(synth.stack.inbox.bucket)]["Properties"]
    assert not [r for r in _lifecycle(props) if r.get("Prefix") == "raw/"]

    app = App(outdir=str(tmp_path), context={bundling.BUNDLE_CONTEXT_KEY: "false", "raw_retention_days": "400"})
    stack = cdk_app.build(app)
    template = json.loads((Path(app.synth().directory) / stack.template_file).read_text())
    retained = template["Resources"][logical_id(stack.inbox.bucket)]["Properties"]
    (raw,) = [r for r in _lifecycle(retained) if r.get("Prefix") == "raw/"]
    assert (raw["ExpirationInDays"], raw["Status"]) == (400, "Enabled")


# Logical ids of the resources that hold data or a fixed name: a renamed construct id makes CloudFormation
# replace the resource on the next deploy (a new, empty table; a function whose fixed name is still taken).
STABLE_IDS = {
    "AWS::S3::Bucket": {"InboxAccessLogsBucket6612DE93", "InboxInboxBucketA7EF9FDF"},
    "AWS::DynamoDB::Table": {
        "OrdersOrdersTable07F5E64F",
        "OrdersLeasesTable10BEB6E1",
        "AuditAuditTable876FD578",
        "QuarantineQuarantinedTableCF016F33",
    },
    "AWS::SQS::Queue": {"QuarantineQuarantineQueue93BF34F2", "IngestIngestRuleDeadLettersAB9DDA58"},
    "AWS::StepFunctions::StateMachine": {"IngestIngestStateMachine4D223527"},
}


@pytest.mark.parametrize("kind", sorted(STABLE_IDS))
def test_stateful_resources_keep_their_logical_ids(synth: Synth, kind: str) -> None:
    assert set(synth.resources(kind)) == STABLE_IDS[kind]


def test_functions_keep_their_logical_ids(synth: Synth) -> None:
    functions = {k for k in synth.resources("AWS::Lambda::Function") if not k.startswith("BucketNotificationsHandler")}
    assert functions >= {
        "ValidationPrepareFunctionFCFEFD46",
        "ValidationValidateChunkFunction872D1524",
        "ValidationFinalizeFunction0F360A35",
        "RedriveRedriveFunctionFA771FF1",
    }
