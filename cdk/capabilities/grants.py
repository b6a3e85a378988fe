"""What each function's role may do with the stores: per store, the actions of the calls its code makes.

A handler hands its domain code only some of the stores (services/*/handlers/), and the DAL makes a known set of
calls on each (services/dal/); a function is granted exactly those, on that store alone. tests/iam records every
call in a representative run and checks both ways: each recorded call is allowed, and each grant here is either
made in that run (TESTED) or carries the reason it is kept though no test run makes it.

Object actions are per key prefix (`objects(prefix)`): every key the code writes or reads is under one of
PREFIXES, each the code's own constant.
"""

from __future__ import annotations

from collections.abc import Mapping

from salesdq import resources
from services.audit.outcomes import AUDIT_ITEMS
from services.domain.active_contract import CONTRACTS_PREFIX
from services.domain.quarantine_message import QUARANTINED_RECORDS
from services.domain.redrive_batch import REDRIVE_PREFIX
from services.ingest.prepare import QUARANTINED_FILES, RAW_FILES, STAGING

TESTED = ""  # the recorded run of tests/iam makes this call

# The inbox's key prefixes: uploads, accepted files' bytes, a run's chunks, redrive batches, files rejected whole,
# quarantined records, stored items too large to travel inline, and the published contracts with the active pointer.
INCOMING, RAW, CHUNKS, REDRIVE = resources.INCOMING_PREFIX, f"{RAW_FILES}/", f"{STAGING}/", REDRIVE_PREFIX
REJECTED, RECORDS, ITEMS = f"{QUARANTINED_FILES}/", f"{QUARANTINED_RECORDS}/", f"{AUDIT_ITEMS}/"
CONTRACTS = CONTRACTS_PREFIX
PREFIXES = (INCOMING, RAW, CHUNKS, REDRIVE, REJECTED, RECORDS, ITEMS, CONTRACTS)
OBJECTS = "objects:"  # objects(prefix): the inbox's objects under prefix


def objects(prefix: str) -> str:
    return OBJECTS + prefix


# The other stores, as the grants name them.
BUCKET = "bucket"  # the inbox bucket itself (listing)
ORDERS = "orders"
AUDIT = "audit"
LEASES = "leases"
QUARANTINED = "quarantined"  # the quarantine view (table)
QUEUE = "queue"  # the quarantine queue

_REJECTED = "a file rejected whole (not a sales file) is quarantined as one message (ingest.prepare._reject)"

GRANTS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    resources.PREPARE.id: {
        objects(INCOMING): {
            "s3:GetObject": TESTED,
            "s3:GetObjectVersion": "reads (and copies to raw/) the object version its upload event names "
            "(InboxBucket.open, copy); the engine's events name none",
        },
        objects(RAW): {"s3:GetObject": TESTED, "s3:PutObject": TESTED},  # a replay reads it; an upload copies to it
        objects(REDRIVE): {"s3:GetObject": TESTED},  # a redrive batch is run like an upload
        objects(CONTRACTS): {"s3:GetObject": TESTED},  # the active pointer, read once a run, and its contract
        objects(CHUNKS): {
            "s3:PutObject": TESTED,
            "s3:DeleteObject": "clears its chunks when the file is rejected or a replay is refused "
            "(InboxBucket.delete_prefix)",
        },
        objects(REJECTED): {"s3:PutObject": "keeps a file rejected whole (ingest.prepare._reject)"},
        BUCKET: {"s3:ListBucket": "lists the chunks it clears (InboxBucket.delete_prefix)"},
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
        objects(CHUNKS): {"s3:GetObject": TESTED},
        objects(REDRIVE): {"s3:GetObject": TESTED},  # a redrive batch's .meta.json: where each record came from
        objects(CONTRACTS): {"s3:GetObject": TESTED},  # its run's published contract, by its key (once a process)
        objects(RECORDS): {
            "s3:PutObject": "offloads a quarantined record too large to travel inline (quarantine_message)"
        },
        objects(ITEMS): {"s3:PutObject": "offloads a stored item too large to travel inline (audit.outcomes)"},
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
    resources.RUN_FAILED.id: {
        # GetItem: whether Finalize wrote the run's file.completed (its commit point) before it died
        AUDIT: {"dynamodb:GetItem": TESTED, "dynamodb:Query": TESTED, "dynamodb:BatchWriteItem": TESTED}
    },
    resources.FINALIZE.id: {
        AUDIT: {"dynamodb:Query": TESTED, "dynamodb:BatchWriteItem": TESTED},
        objects(CONTRACTS): {"s3:GetObject": TESTED},  # its run's published contract: its file-level rules
    },
    resources.SWEEP.id: {
        QUEUE: {"sqs:ReceiveMessage": TESTED, "sqs:ChangeMessageVisibility": TESTED, "sqs:DeleteMessage": TESTED},
        QUARANTINED: {"dynamodb:BatchGetItem": TESTED},
    },
    resources.REDRIVE.id: {
        # its request's plan and its batch's .meta.json, written only if absent and read back when sent again
        objects(REDRIVE): {"s3:GetObject": TESTED, "s3:PutObject": TESTED},
        objects(RECORDS): {
            "s3:GetObject": "reads a quarantined record that was offloaded to the bucket, to compare the "
            "correction with it (redrive._judge)"
        },
        objects(CONTRACTS): {"s3:GetObject": TESTED},  # the active contract it judges corrections by
        BUCKET: {
            "s3:ListBucket": "tells the active pointer missing (nothing published yet: the shipped default is active) "
            "from a refusal: S3 answers a read of a missing key with AccessDenied to a role without it "
            "(ContractStore.pointer)"
        },
        ORDERS: {"dynamodb:GetItem": TESTED},
        AUDIT: {"dynamodb:PutItem": TESTED, "dynamodb:BatchWriteItem": TESTED},
        QUARANTINED: {"dynamodb:BatchGetItem": TESTED, "dynamodb:UpdateItem": TESTED},
    },
}
