"""Redrive: corrected records go back through the same state machine, matched to what is quarantined by quarantine id.

Each request carries an id chosen by its caller. Its plan (`redrive/plans/<request id>.json`), its batch
(`redrive/<request id>.jsonl`) and its execution (`redrive-<request id>`) are named by it, so two requests
never share a batch, an execution or a fingerprint (a record can never be swallowed by another batch that
happens to hold the same bytes), and the same request sent again (a client that timed out and retried) does
the same thing once.

What is quarantined is read from the quarantine view (services/dal/quarantine_view.py), not by receiving the
queue. A correction is judged against its item as it is now, whatever export it came from: accepted when the
item is open and the correction is a new record for it; refused when no quarantine item has its id
(`no_quarantine_item`), a rejected file (`not_a_record`), a line without a record (`no_record`: the quarantined
record is never replaced by nothing), unchanged, a conflict with a different stored order, no longer quarantined
(`not_quarantined`), or a different correction of a record another request is redriving (`in_progress`); and reported as
`already_redriven`, with what became of it, when it is the correction an earlier request sent (the same
correction again changes nothing).

One redrive per attempt of a record: a request writes its plan, then claims each item at the attempt it
judged (a conditional write; a claim another request won is not its), then fixes its batch as the items it
holds (the batch's meta, written once), then starts its execution. Each step can be done again with the same
result, by the request itself or by a later one: a request that died holding records (the function crashed
or timed out before its execution started) is finished by the next request that meets one of them, which
then follows its batch. The quarantine messages of redriven records are deleted by the sweep at the end of their run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from services.contract import CompiledContract
from services.contract.published import Contracts
from services.dal import Stores
from services.dal.executions import ExecutionNotFoundError, execution_arn
from services.dal.quarantine_view import OPEN, RESOLVED, body_of
from services.domain import audit_events, contract, json_codec, quarantine_message
from services.domain.active_contract import ContractRef
from services.domain.parsing import parse
from services.domain.quarantine_message import Origin
from services.domain.redrive_batch import batch_key, meta_key, plan_key
from services.domain.run import Run
from services.errors import ServiceError

EXECUTION_PREFIX = "redrive-"
Active = tuple[ContractRef, CompiledContract]  # the active contract, as Contracts.active reads it


class RedriveError(ServiceError):
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


@dataclass(frozen=True)
class Planned:
    """A correction a request accepted, with what its batch line and `redriven` event need."""

    record: Any
    origin: Origin  # its attempt is the item's attempt when judged, plus one
    file_id: str
    order_id: str | None  # the quarantined record's order id

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "origin": self.origin.as_dict(),
            "file_id": self.file_id,
            "order_id": self.order_id,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Planned:
        order_id = value.get("order_id")
        return cls(
            value["record"], Origin.from_dict(value["origin"]), str(value["file_id"]), order_id and str(order_id)
        )


@dataclass(frozen=True)
class Batch:
    key: str
    execution: str
    ids: list[str]


def _refusal(correction: Correction, error: str, message: str) -> dict[str, str]:
    return {"id": correction.id, "error": error, "message": message}


def _already(correction: Correction, outcome: str, by: str | None) -> dict[str, Any]:
    return {"id": correction.id, "outcome": outcome, "by": by}


def _judge(
    correction: Correction, item: Mapping[str, Any] | None, request_id: str, stores: Stores, judge: CompiledContract
) -> tuple[str, dict[str, Any] | None]:
    """("accept", None), ("already", what became of it) or ("refuse", why). What was sent before is recognized
    by its content (the item's `redrive_hash`, or the record it was quarantined again with), never by the
    export's attempt alone: a new correction of a record still quarantined is judged."""
    if item is None:
        return "refuse", _refusal(
            correction, "no_quarantine_item", "no quarantine item has this id: export again for current ids"
        )
    if item.get("kind") != quarantine_message.Kind.RECORD:
        return "refuse", _refusal(
            correction,
            "not_a_record",
            "a rejected file is fixed by uploading the fixed file (then `quarantine resolve`)",
        )
    if correction.record is None:
        return "refuse", _refusal(
            correction,
            "no_record",
            'the line has no "record": send the corrected record, as `quarantine export` writes it',
        )
    digest = contract.content_hash(correction.record)
    if item.get("status") == RESOLVED:
        outcome, by = str(item.get("outcome")), item.get("resolved_by")
        if item.get("redrive_hash") == digest:
            return "already", _already(correction, outcome, by)
        where = f" ({by})" if by else ""
        return "refuse", _refusal(correction, "not_quarantined", f"not quarantined any more: {outcome}{where}")
    redriving = item.get("redriving")
    if redriving == request_id:
        return "accept", None  # this same request, sent again
    if redriving:  # another request took it on and its run has not ended yet
        batch = batch_key(str(redriving))
        if item.get("redrive_hash") == digest:
            return "already", _already(correction, "in progress", batch)
        return "refuse", _refusal(
            correction,
            "in_progress",
            f"another correction of this record is being redriven ({batch}): send this one again once it ends",
        )
    body = body_of(item)
    ref = quarantine_message.record_ref_key(body)
    original = stores.inbox.get_json(ref) if ref else body.get("record")
    if digest == contract.content_hash(original):
        if correction.attempt is not None and correction.attempt < int(item.get("attempt", 1)):
            return "already", _already(correction, "quarantined", None)  # redriven as it is, quarantined again
        return "refuse", _refusal(correction, "unchanged", "the record is the same as quarantined: fix it first")
    verdict = judge.check(correction.record)
    if verdict.complete and verdict.order_id and verdict.record is not None:
        stored = stores.orders.get(verdict.order_id)
        if stored is not None and stored.get("_hash") != contract.content_hash(verdict.record):
            return "refuse", _refusal(
                correction,
                "conflict",
                f"order {verdict.order_id} is already stored with different content; it is never overwritten",
            )
    return "accept", None


def redrive(
    request: RedriveRequest, *, stores: Stores, state_machine_arn: str, at: str, contracts: Contracts | None = None
) -> dict[str, Any]:
    """`contracts`: the function's, kept from its cold start (None: one for this call alone)."""
    corrections = list(request.corrections)
    if not corrections:
        raise RedriveError("no corrections to redrive")
    # numbers as the quarantine queue holds them: the Lambda runtime parsed the payload's non-integers as floats
    corrections = [Correction(c.id, json_codec.exact(c.record), c.attempt) for c in corrections]
    ids = [c.id for c in corrections]
    if len(set(ids)) != len(ids):
        raise RedriveError("an id appears more than once; send one correction per quarantine message")
    # Judged under the active contract, as the batch's run will be (its Prepare reads the pointer again)
    active = (contracts or Contracts(stores.contracts)).active()
    judge = active[1]
    items = stores.quarantined.get_many(ids)
    following = _finish_others(items, request.request_id, stores, state_machine_arn, active)
    if following:  # finishing another request claimed records: judge them as they are now
        items = stores.quarantined.get_many(ids)
    verdicts = {c.id: _judge(c, items.get(c.id), request.request_id, stores, judge) for c in corrections}
    accepted = [c for c in corrections if verdicts[c.id][0] == "accept"]
    batch = _run(request.request_id, accepted, items, stores, state_machine_arn, at, active) if accepted else None
    held = set(batch.ids) if batch else set()
    late = [c for c in accepted if c.id not in held]
    if late:  # another request claimed these between this one's read and its claim
        now = stores.quarantined.get_many(c.id for c in late)
        for c in late:
            verdict = _judge(c, now.get(c.id), request.request_id, stores, judge)
            if verdict[0] == "accept":
                verdict = (
                    "refuse",
                    _refusal(c, "changed", "its quarantine item changed while this request ran: send it again"),
                )
            verdicts[c.id] = verdict
    return {
        "redriven": [c.id for c in corrections if c.id in held],
        "refused": [verdicts[c.id][1] or {} for c in corrections if verdicts[c.id][0] == "refuse"],
        "already": [verdicts[c.id][1] or {} for c in corrections if verdicts[c.id][0] == "already"],
        "execution": batch.execution if batch else None,
        "batch": batch.key if batch else None,
        "following": following,
        "contract": judge.version,
    }


def _run(
    request_id: str,
    accepted: Sequence[Correction],
    items: Mapping[str, Mapping[str, Any]],
    stores: Stores,
    state_machine_arn: str,
    at: str,
    active: Active,
) -> Batch | None:
    """Plan the accepted corrections (a plan this request wrote before stands) and finish the request."""
    # The request's first call fixes its time: a retried call rewrites the same audit events.
    first = stores.audit.append_first(audit_events.redrive_request(request_id=request_id, at=at))
    at = str(first["at"]) if first else at
    lines = [_planned(c, body_of(items[c.id])) for c in accepted]
    stores.inbox.create_json(plan_key(request_id), {"at": at, "lines": [line.as_dict() for line in lines]})
    return _finish(request_id, stores, state_machine_arn, active)


def _planned(correction: Correction, body: Mapping[str, Any]) -> Planned:
    origin = Origin(
        quarantine_id=correction.id,
        file=str(body.get("file")),
        index=int(body.get("index", 0)),
        attempt=quarantine_message.attempt_of(dict(body)) + 1,
    )
    order_id = body.get("order_id")
    return Planned(correction.record, origin, str(body.get("file_id")), None if order_id is None else str(order_id))


def _finish(request_id: str, stores: Stores, state_machine_arn: str, active: Active) -> Batch | None:
    """Claim the items of the request's plan, fix its batch as the items it holds (the first meta written
    stands), write the batch and its `redriven` events and start its execution; None when it holds none.
    Every write is the same whoever makes it, so the request itself and a later one that finishes it agree."""
    plan = stores.inbox.get_json(plan_key(request_id))
    lines = [Planned.from_dict(line) for line in plan["lines"]]
    key = batch_key(request_id)
    if not stores.inbox.exists(meta_key(key)):
        for line in lines:  # a claim another request won, or of an item changed since, fails for good
            digest = contract.content_hash(line.record)
            stores.quarantined.claim(line.origin.quarantine_id, request_id, digest, line.origin.attempt - 1)
        holds = stores.quarantined.get_many(line.origin.quarantine_id for line in lines)
        held = [line for line in lines if holds.get(line.origin.quarantine_id, {}).get("redriving") == request_id]
        if not held:
            return None
        stores.inbox.create_json(meta_key(key), {str(i): line.origin.as_dict() for i, line in enumerate(held)})
    meta = stores.inbox.get_json(meta_key(key))
    by_id = {line.origin.quarantine_id: line for line in lines}
    batch = [by_id[Origin.from_dict(meta[str(i)]).quarantine_id] for i in range(len(meta))]
    size = stores.inbox.put_text(key, "".join(json_codec.dumps(line.record) + "\n" for line in batch))
    stores.audit.append(
        event
        for index, line in enumerate(batch)
        for event in _redriven_events(line, key, index, str(plan["at"]), active)
    )
    payload = json.dumps({"detail": {"bucket": {"name": stores.inbox.bucket}, "object": {"key": key, "size": size}}})
    execution = stores.executions.start(state_machine_arn, EXECUTION_PREFIX + request_id, payload)
    return Batch(key, execution, [line.origin.quarantine_id for line in batch])


def _finish_others(
    items: Mapping[str, Mapping[str, Any]], request_id: str, stores: Stores, state_machine_arn: str, active: Active
) -> list[dict[str, str]]:
    """The batches of other requests holding some of these records, each finished first if its execution
    never started (its request died): what this request's caller follows."""
    others = {
        str(item["redriving"])
        for item in items.values()
        if item.get("status") == OPEN and item.get("redriving") and item["redriving"] != request_id
    }
    following = []
    for other in sorted(others):
        execution = execution_arn(state_machine_arn, EXECUTION_PREFIX + other)
        try:
            stores.executions.describe(execution)
        except ExecutionNotFoundError:
            if not stores.inbox.exists(plan_key(other)) or _finish(other, stores, state_machine_arn, active) is None:
                continue
        following.append({"execution": execution, "batch": batch_key(other)})
    return following


def _redriven_events(line: Planned, batch: str, index: int, at: str, active: Active) -> list[dict[str, Any]]:
    """The record's `redriven` event, in its order's history; when the correction changed the order id (as the
    active contract reads it), in both ids' histories, each naming the other."""
    ref, judge = active
    was = line.order_id
    now, _ = judge.extract_order_id(line.record)
    ids: list[str | None] = [i for i in dict.fromkeys([was, now]) if i]
    detail = {"quarantine_id": line.origin.quarantine_id, "batch": batch, "batch_index": index}
    if was and now and was != now:
        detail |= {"order_id_was": was, "order_id_now": now}
    return [
        audit_events.record_event(
            # the redrive's step in the record's own file's history, keyed by the request's time
            run=Run(file_id=line.file_id, file=line.origin.file, id=at, execution=batch, contract=ref),
            index=line.origin.index,
            outcome=audit_events.REDRIVEN,
            order_id=order_id,
            reasons=[],
            attempt=line.origin.attempt - 1,
            detail=detail,
        )
        for order_id in (ids or [None])
    ]


def request_of(payload: Mapping[str, Any], corrections: Sequence[Correction]) -> RedriveRequest:
    """The handler's request: its id is the caller's (a retry sends the same one); without one, a new request.
    Never derived from the corrections' content: the same correction sent twice is two requests."""
    return RedriveRequest(str(payload.get("request_id") or uuid.uuid4().hex), corrections)


class _CorrectionPayload(BaseModel):
    id: Any  # whatever the caller sent, as text: an id that names no item is refused as one
    record: Any = None
    attempt: Any = None  # kept only when a whole number


class _RedrivePayload(BaseModel):
    corrections: list[_CorrectionPayload]


def corrections_of(payload: Mapping[str, Any]) -> list[Correction]:
    """The handler's corrections ({"corrections": [{"id", "record", "attempt"?}]}); InvalidPayloadError naming a
    missing field."""
    return [
        Correction(str(c.id), c.record, int(c.attempt) if isinstance(c.attempt, int) else None)
        for c in parse(_RedrivePayload, payload).corrections
    ]
