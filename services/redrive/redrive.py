"""Redrive: corrected records go back through the same state machine, matched to what is quarantined by DLQ id.

Each request carries an id chosen by its caller. Its batch (`redrive/<request id>.jsonl`) and its execution
(`redrive-<request id>`) are named by it, so two requests never share a batch, an execution or a fingerprint
(a record can never be swallowed by another batch that happens to hold the same bytes), and the same request
sent again (a client that timed out and retried) does the same thing once.

What is quarantined is read from the quarantine view (services/dal/quarantine_view.py), not by receiving the
queue. A correction is accepted when its item is open; refused when it is not quarantined (`not_in_dlq`), a
rejected file (`not_a_record`), unchanged, or a conflict with a different stored order; and reported as
`already_redriven`, with what became of it, when an earlier request sent it already (a repeated redrive
changes nothing). The DLQ messages of redriven records are deleted by the sweep at the end of their run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.dal import Stores
from services.dal.quarantine_view import RESOLVED, body_of
from services.domain import audit_events, contract, dlq_message, json_codec
from services.domain.dlq_message import Origin
from services.domain.redrive_batch import REDRIVE_PREFIX, meta_key

EXECUTION_PREFIX = "redrive-"


class RedriveError(Exception):
    """The request as a whole cannot be redriven (nothing to do, malformed)."""


@dataclass(frozen=True)
class Correction:
    id: str
    record: Any
    attempt: int | None = None  # the attempt the correction was exported at, when the export says


@dataclass(frozen=True)
class RedriveRequest:
    request_id: str
    corrections: Sequence[Correction]


def _refusal(correction: Correction, error: str, message: str) -> dict[str, str]:
    return {"id": correction.id, "error": error, "message": message}


def _already(correction: Correction, outcome: str, by: str | None) -> dict[str, Any]:
    return {"id": correction.id, "outcome": outcome, "by": by}


def _judge(
    correction: Correction, item: Mapping[str, Any] | None, request_id: str, stores: Stores
) -> tuple[str, dict[str, Any] | None]:
    """("accept", None), ("already", what became of it) or ("refuse", why)."""
    if item is None:
        return "refuse", _refusal(correction, "not_in_dlq", "not quarantined: export the DLQ again for current ids")
    if item.get("kind") != dlq_message.Kind.RECORD:
        return "refuse", _refusal(
            correction, "not_a_record", "a rejected file is fixed by uploading the fixed file (then `dlq resolve`)"
        )
    if item.get("status") == RESOLVED:
        return "already", _already(correction, str(item.get("outcome")), item.get("resolved_by"))
    redriving = item.get("redriving")
    if redriving and redriving != request_id:  # sent by an earlier request whose run has not ended yet
        return "already", _already(correction, "in progress", f"{REDRIVE_PREFIX}{redriving}.jsonl")
    if correction.attempt is not None and correction.attempt < int(item.get("attempt", 1)):
        return "already", _already(correction, "quarantined", None)  # redriven and quarantined again since
    if redriving == request_id:
        return "accept", None  # this same request, sent again
    body = body_of(item)
    ref = dlq_message.record_ref_key(body)
    original = stores.inbox.get_json(ref) if ref else body.get("record")
    if contract.content_hash(correction.record) == contract.content_hash(original):
        return "refuse", _refusal(correction, "unchanged", "the record is the same as quarantined: fix it first")
    verdict = contract.check(correction.record)
    if verdict.complete and verdict.order_id and verdict.record is not None:
        stored = stores.orders.get(verdict.order_id)
        if stored is not None and stored.get("_hash") != contract.content_hash(verdict.record):
            return "refuse", _refusal(
                correction,
                "conflict",
                f"order {verdict.order_id} is already stored with different content; it is never overwritten",
            )
    return "accept", None


def redrive(request: RedriveRequest, *, stores: Stores, state_machine_arn: str, at: str) -> dict[str, Any]:
    corrections = list(request.corrections)
    if not corrections:
        raise RedriveError("no corrections to redrive")
    # numbers as the DLQ holds them: the Lambda runtime parsed the event's non-integers as floats
    corrections = [Correction(c.id, json_codec.exact(c.record), c.attempt) for c in corrections]
    ids = [c.id for c in corrections]
    if len(set(ids)) != len(ids):
        raise RedriveError("an id appears more than once; send one correction per DLQ message")
    items = stores.quarantined.get_many(ids)
    accepted: list[Correction] = []
    refused: list[dict[str, Any]] = []
    already: list[dict[str, Any]] = []
    for correction in corrections:
        verdict, detail = _judge(correction, items.get(correction.id), request.request_id, stores)
        if verdict == "accept":
            accepted.append(correction)
        elif verdict == "already":
            already.append(detail or {})
        else:
            refused.append(detail or {})
    result: dict[str, Any] = {"redriven": [], "refused": refused, "already": already, "execution": None, "batch": None}
    if not accepted:
        return result

    # The request's first call fixes its time: a retried call rewrites the same audit events.
    first = stores.audit.append_first(audit_events.redrive_request(request_id=request.request_id, at=at))
    at = str(first["at"]) if first else at
    batch_key = f"{REDRIVE_PREFIX}{request.request_id}.jsonl"
    meta = {}
    history = []
    for index, correction in enumerate(accepted):
        body = body_of(items[correction.id])
        origin = Origin(
            dlq_id=correction.id,
            file=str(body.get("file")),
            index=int(body.get("index", 0)),
            attempt=dlq_message.attempt_of(body) + 1,
        )
        meta[str(index)] = origin.as_dict()
        history += _redriven_events(correction, body, origin, batch_key, index, at)
    stores.inbox.put_json(meta_key(batch_key), meta)
    size = stores.inbox.put_text(batch_key, "".join(json_codec.dumps(c.record) + "\n" for c in accepted))
    stores.audit.append(history)
    payload = json.dumps(
        {"detail": {"bucket": {"name": stores.inbox.bucket}, "object": {"key": batch_key, "size": size}}}
    )
    execution = stores.executions.start(state_machine_arn, EXECUTION_PREFIX + request.request_id, payload)
    stores.quarantined.mark_redriving((c.id for c in accepted), request.request_id)
    return result | {"redriven": [c.id for c in accepted], "execution": execution, "batch": batch_key}


def _redriven_events(
    correction: Correction, body: Mapping[str, Any], origin: Origin, batch: str, index: int, at: str
) -> list[dict[str, Any]]:
    """The record's `redriven` event, in its order's history; when the correction changed the order id, in
    both ids' histories, each naming the other."""
    was = body.get("order_id")
    now, _ = contract.extract_order_id(correction.record)
    ids = [i for i in dict.fromkeys([was, now]) if i]
    detail = {"dlq_id": correction.id, "batch": batch, "batch_index": index}
    if was and now and was != now:
        detail |= {"order_id_was": was, "order_id_now": now}
    return [
        audit_events.record_event(
            file_id=str(body.get("file_id")),
            file=origin.file,
            index=origin.index,
            outcome=audit_events.REDRIVEN,
            order_id=order_id,
            reasons=[],
            at=at,
            execution=batch,
            attempt=origin.attempt - 1,
            detail=detail,
        )
        for order_id in (ids or [None])
    ]


def request_of(event: Mapping[str, Any], corrections: Sequence[Correction]) -> RedriveRequest:
    """The handler's request: its id is the caller's (a retry sends the same one); without one, a new request.
    Never derived from the corrections' content: the same correction sent twice is two requests."""
    return RedriveRequest(str(event.get("request_id") or uuid.uuid4().hex), corrections)
