"""The inbox bucket: sales files land under incoming/, the workflow stages chunks under staging/."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.capabilities.nag import suppress
from salesdq import resources

STAGING_PREFIX = "staging/"
# Staged chunks and manifests are claim checks for one run; a run finishes within hours.
STAGING_EXPIRY = Duration.days(3)
ACCESS_LOG_EXPIRY = Duration.days(90)
# Each upload is processed as the version its event names; a version overwritten at the same key stays this
# long for the run that may still be reading it (a run finishes within hours).
NONCURRENT_EXPIRY = Duration.days(30)
RAW_PREFIX = "raw/"  # services/ingest/prepare.py keeps each accepted file's bytes here, under their sha256
# `-c raw_retention_days=N` expires kept files after N days; by default they are kept, so any past run can be
# replayed (`salesdq replay file`).
RAW_RETENTION_CONTEXT = "raw_retention_days"


def raw_retention(value: object) -> Duration | None:
    """The context value as a retention, or None to keep raw files for good; a bad value fails the synth."""
    if value is None or str(value).strip() == "":
        return None
    days = int(str(value))
    if days < 1:
        raise ValueError(f"{RAW_RETENTION_CONTEXT} must be a whole number of days, at least 1; got {value!r}")
    return Duration.days(days)


class InboxConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str = "Inbox") -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=ACCESS_LOG_EXPIRY)],
            removal_policy=RemovalPolicy.RETAIN,
        )
        suppress(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the server access log bucket of the inbox; logging it into itself would loop.",
        )
        rules = [
            s3.LifecycleRule(id="expire-staging", prefix=STAGING_PREFIX, expiration=STAGING_EXPIRY),
            s3.LifecycleRule(id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)),
            s3.LifecycleRule(id="expire-overwritten-versions", noncurrent_version_expiration=NONCURRENT_EXPIRY),
        ]
        if (kept_for := raw_retention(self.node.try_get_context(RAW_RETENTION_CONTEXT))) is not None:
            rules.append(s3.LifecycleRule(id="expire-raw-files", prefix=RAW_PREFIX, expiration=kept_for))
        # No bucket_name: S3 names are global, so a fixed name would collide across accounts; the
        # operator commands find the bucket through the InboxBucketName stack output instead.
        self.bucket = s3.Bucket(
            self,
            resources.INBOX_BUCKET_ID,
            event_bridge_enabled=True,
            # Two uploads to one key at the same moment are two versions: each run reads its own.
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="inbox/",
            lifecycle_rules=rules,
            # Incoming files are the evidence behind every audit event: keep them on `cdk destroy`.
            removal_policy=RemovalPolicy.RETAIN,
        )
        # event_bridge_enabled is applied by CDK's singleton BucketNotificationsHandler custom resource.
        for child in Stack.of(self).node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                suppress(
                    child,
                    "AwsSolutions-IAM4",
                    "CDK's own BucketNotificationsHandler (it turns on the EventBridge notification at "
                    "deploy time) only needs AWSLambdaBasicExecutionRole to write its logs.",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                )
