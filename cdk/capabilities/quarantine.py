"""The quarantine: the quarantine queue (resources.QUARANTINE: a message per quarantined record or rejected file; the
brief's dead-letter queue, not the ingest rule's event dead-letter queue) and the quarantine view
(resources.QUARANTINED), which operators list and export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.capabilities.nag import suppress
from cdk.capabilities.tables import build_table
from salesdq import resources

# SQS attribute name -> Queue prop; an attribute without a mapping fails the synth instead of drifting.
_PROPS: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "MessageRetentionPeriod": ("retention_period", lambda v: Duration.seconds(int(v))),
    "VisibilityTimeout": ("visibility_timeout", lambda v: Duration.seconds(int(v))),
    "MaximumMessageSize": ("max_message_size_bytes", int),
    "DelaySeconds": ("delivery_delay", lambda v: Duration.seconds(int(v))),
    "ReceiveMessageWaitTimeSeconds": ("receive_message_wait_time", lambda v: Duration.seconds(int(v))),
}


def queue_props(attributes: Mapping[str, str]) -> dict[str, Any]:
    unknown = sorted(set(attributes) - set(_PROPS))
    if unknown:
        raise ValueError(f"no CDK mapping for queue attributes {unknown}; add one to {__name__}")
    return {_PROPS[name][0]: _PROPS[name][1](value) for name, value in attributes.items()}


class QuarantineConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str = "Quarantine") -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            resources.QUARANTINE.id,
            queue_name=resources.QUARANTINE.name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            **queue_props(resources.QUARANTINE.attributes),
        )
        suppress(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is where the pipeline sends quarantined records and rejected files; operators inspect "
            "and redrive them. A dead-letter queue for it would only move the same messages elsewhere.",
        )
        # What is quarantined, queryable: rebuilt from the audit log if lost (`salesdq audit rebuild`), so no PITR need
        # beyond the tables' default; kept on destroy like the audit log it mirrors.
        self.view: dynamodb.Table = build_table(self, resources.QUARANTINED)
