"""Redrive: corrected records go back through the same state machine, matched to their DLQ message by id.

A DLQ message is deleted only after the execution that reprocesses its record has started (a Standard
execution, once started, runs to an outcome). Corrections identical to what the DLQ holds, ids no longer in
the DLQ, and order ids that collide with a different stored order are refused with a reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from services.dal import Stores
from services.domain import audit_events, contract, dlq_message, json_codec
from services.domain.dlq_message import Origin
from services.domain.redrive_batch import REDRIVE_PREFIX, meta_key


class RedriveError(Exception):
    """The request as a whole cannot be redriven (nothing to do, malformed)."""


@dataclass(frozen=True)
class Correction:
    id: str
    record: Any


def _refusal(correction: Correction, error: str, message: str) -> dict[str, str]:
    return {"id": correction.id, "error": error, "message": message}


def _check(correction: Correction, body: dict[str, Any] | None, stores: Stores) -> dict[str, str] | None:
    if body is None:
        return _refusal(correction, "not_in_dlq", "not (or no longer) in the DLQ: export the DLQ again for current ids")
    if body.get("kind") != dlq_message.Kind.RECORD:
        return _refusal(correction, "not_a_record", "a rejected file is redriven by uploading the fixed file")
    ref = dlq_message.record_ref_key(body)
    original = stores.inbox.get_json(ref) if ref else body.get("record")
    if contract.content_hash(correction.record) == contract.content_hash(original):
        return _refusal(correction, "unchanged", "the record is the same as in the DLQ: fix it before redriving")
    verdict = contract.check(correction.record)
    if verdict.complete and verdict.order_id and verdict.record is not None:
        stored = stores.orders.get(verdict.order_id)
        if stored is not None and stored.get("_hash") != contract.content_hash(verdict.record):
            return _refusal(
                correction,
                "conflict",
                f"order {verdict.order_id} is already stored with different content; it is never overwritten",
            )
    return None


def redrive(corrections: list[Correction], *, stores: Stores, state_machine_arn: str, at: str) -> dict[str, Any]:
    if not corrections:
        raise RedriveError("no corrections to redrive")
    # numbers as the DLQ holds them: the Lambda runtime parsed the event's non-integers as floats
    corrections = [Correction(c.id, json_codec.exact(c.record)) for c in corrections]
    ids = [c.id for c in corrections]
    if len(set(ids)) != len(ids):
        raise RedriveError("an id appears more than once; send one correction per DLQ message")
    held = stores.quarantine.hold_all()
    by_id: dict[str, list[dict[str, Any]]] = {}
    for message in held:
        by_id.setdefault(str(message["body"].get("id")), []).append(message)
    refused, accepted = [], []
    for correction in corrections:
        messages = by_id.get(correction.id)
        problem = _check(correction, messages[0]["body"] if messages else None, stores)
        if problem:
            refused.append(problem)
        else:
            accepted.append(correction)
    if not accepted:
        stores.quarantine.release(held)
        return {"redriven": [], "refused": refused, "execution": None, "batch": None}

    digest = hashlib.sha256(json_codec.canonical([[c.id, c.record] for c in accepted]).encode("utf-8")).hexdigest()[:32]
    batch_key = f"{REDRIVE_PREFIX}{digest}.jsonl"
    meta = {}
    audit = []
    for index, correction in enumerate(accepted):
        body = by_id[correction.id][0]["body"]
        order_id, _ = contract.extract_order_id(correction.record)
        meta[str(index)] = Origin(
            dlq_id=correction.id,
            file=str(body.get("file")),
            index=int(body.get("index", 0)),
            attempt=dlq_message.attempt_of(body) + 1,
        ).as_dict()
        audit.append(
            audit_events.record_event(
                file_id=str(body.get("file_id")),
                file=str(body.get("file")),
                index=int(body.get("index", 0)),
                outcome=audit_events.REDRIVEN,
                order_id=order_id or body.get("order_id"),
                reasons=[],
                at=at,
                execution=batch_key,
                attempt=dlq_message.attempt_of(body),
                detail={"dlq_id": correction.id, "batch": batch_key, "batch_index": index},
            )
        )
    stores.inbox.put_json(meta_key(batch_key), meta)
    size = stores.inbox.put_text(batch_key, "".join(json_codec.dumps(c.record) + "\n" for c in accepted))
    stores.audit.append(audit)
    execution = _start(stores, state_machine_arn, digest, batch_key, size)
    done = {c.id for c in accepted}
    stores.quarantine.delete(m for m in held if m["body"].get("id") in done)
    stores.quarantine.release(m for m in held if m["body"].get("id") not in done)
    return {"redriven": sorted(done), "refused": refused, "execution": execution, "batch": batch_key}


def _start(stores: Stores, state_machine_arn: str, digest: str, key: str, size: int) -> str:
    """Start the ingest workflow on the batch as if it had been uploaded; the same batch starts once."""
    payload = json.dumps({"detail": {"bucket": {"name": stores.inbox.bucket}, "object": {"key": key, "size": size}}})
    return stores.executions.start(state_machine_arn, f"redrive-{digest}", payload)
