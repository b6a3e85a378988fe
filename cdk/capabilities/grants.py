"""What each function's role may do with the stores: per store, the actions of the calls its code makes.

A handler hands its domain code only some of the stores (services/*/handlers/), and the DAL makes a known set of
calls on each (services/dal/); a function is granted exactly those, on that store alone. tests/iam records every
call in a representative run and checks both ways: each recorded call is allowed, and each grant here is either
made in that run (TESTED) or carries the reason it is kept though no test run makes it.

Object actions are on the inbox's objects (`<bucket>/*`): the keys are per file and per run under several
prefixes (incoming/, raw/, staging/, redrive/, offloaded quarantine payloads), so a per-prefix grant is left for
later.
"""

from __future__ import annotations

from collections.abc import Mapping

from salesdq import resources

TESTED = ""  # the recorded run of tests/iam makes this call

# The stores, as the grants name them.
OBJECTS = "objects"  # the inbox bucket's objects
BUCKET = "bucket"  # the inbox bucket itself (listing)
ORDERS = "orders"
AUDIT = "audit"
LEASES = "leases"
QUARANTINED = "quarantined"  # the quarantine view (table)
QUEUE = "queue"  # the quarantine queue (DLQ)

_REJECTED = "a file rejected whole (not a sales file) is quarantined as one message (ingest.prepare._reject)"

GRANTS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    resources.PREPARE.id: {
        OBJECTS: {
            "s3:GetObject": TESTED,
            "s3:PutObject": TESTED,
            "s3:GetObjectVersion": "reads the object version its upload event names (InboxBucket.open); the "
            "engine's events name none",
            "s3:DeleteObject": "clears its staging/ chunks when the file is rejected or a replay is refused "
            "(InboxBucket.delete_prefix)",
        },
        BUCKET: {"s3:ListBucket": "lists the staging/ chunks it clears (InboxBucket.delete_prefix)"},
        AUDIT: {
            "dynamodb:PutItem": TESTED,
            "dynamodb:BatchWriteItem": TESTED,
            "dynamodb:GetItem": "reads the claim another execution holds, on a duplicate upload or a retry "
            "(ingest.claim)",
        },
        QUEUE: {"sqs:SendMessage": _REJECTED},
        QUARANTINED: {"dynamodb:BatchWriteItem": _REJECTED},
    },
    resources.VALIDATE_CHUNK.id: {
        OBJECTS: {
            "s3:GetObject": TESTED,
            "s3:PutObject": "offloads a record or an outcome too large to travel inline (services.domain.inline)",
        },
        ORDERS: {
            "dynamodb:BatchGetItem": TESTED,
            "dynamodb:BatchWriteItem": TESTED,
            "dynamodb:PutItem": "stores one record at a time when DynamoDB refuses a batch for an item's size "
            "(store_orders.store_one)",
        },
        LEASES: {"dynamodb:PutItem": TESTED, "dynamodb:DeleteItem": TESTED},
        AUDIT: {"dynamodb:GetItem": TESTED, "dynamodb:BatchWriteItem": TESTED},
        QUEUE: {"sqs:SendMessage": TESTED},
        QUARANTINED: {
            "dynamodb:BatchGetItem": TESTED,
            "dynamodb:BatchWriteItem": TESTED,
            "dynamodb:UpdateItem": TESTED,
        },
    },
    resources.CHUNK_FAILED.id: {AUDIT: {"dynamodb:BatchWriteItem": TESTED}},
    resources.RUN_FAILED.id: {AUDIT: {"dynamodb:Query": TESTED, "dynamodb:BatchWriteItem": TESTED}},
    resources.FINALIZE.id: {AUDIT: {"dynamodb:Query": TESTED, "dynamodb:BatchWriteItem": TESTED}},
    resources.SWEEP.id: {
        QUEUE: {"sqs:ReceiveMessage": TESTED, "sqs:ChangeMessageVisibility": TESTED, "sqs:DeleteMessage": TESTED},
        QUARANTINED: {"dynamodb:BatchGetItem": TESTED},
    },
    resources.REDRIVE.id: {
        OBJECTS: {
            "s3:PutObject": TESTED,
            "s3:GetObject": "reads a quarantined record that was offloaded to the bucket, to compare the "
            "correction with it (redrive._judge)",
        },
        ORDERS: {"dynamodb:GetItem": TESTED},
        AUDIT: {"dynamodb:PutItem": TESTED, "dynamodb:BatchWriteItem": TESTED},
        QUARANTINED: {"dynamodb:BatchGetItem": TESTED, "dynamodb:UpdateItem": TESTED},
    },
}
