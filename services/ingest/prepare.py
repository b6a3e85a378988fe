"""The Prepare step: a file read, claimed and split into chunks in S3 with a manifest, or rejected whole.

`services.ingest.read_file` reads it, `claim` decides whether this execution processes it, `split` stages its
chunks; a whole-file fault rejects it (a copy kept, a quarantine message and an audit event saying why).
"""

from __future__ import annotations

from typing import Any

from services.contract.published import Contracts
from services.dal.audit_log import AuditLog
from services.dal.executions import Executions
from services.dal.inbox_bucket import InboxBucket
from services.dal.quarantine_queue import QuarantineQueue
from services.dal.quarantine_view import QuarantineView
from services.domain import audit_events, quarantine_message, redrive_batch
from services.domain.audit_events import EventKind
from services.domain.payloads import FileJob
from services.domain.run import Run
from services.ingest import claim as claims
from services.ingest.read_file import FileRejectedError, SalesFile
from services.ingest.split import Layout, partitions_for, split

STAGING = "staging"
QUARANTINED_FILES = "quarantine/files"
RAW_FILES = "raw"  # an accepted file's bytes under their sha256: what a past run read, whatever the name holds now


def raw_key(file_id: str) -> str:
    return f"{RAW_FILES}/{file_id}"


def sales_file(inbox: InboxBucket, key: str, name: str, version_id: str | None = None) -> SalesFile:
    """The bytes at `key` read as the file `name` (its name says JSON Lines or JSON): an upload's own key, or,
    for a file's retained bytes (raw/<file id>, a key that says nothing of them), the name its run read it by."""
    stream, size = inbox.open(key, version_id)
    return SalesFile(stream, name, size, reopen=lambda: inbox.open(key, version_id)[0])


def retained_file(inbox: InboxBucket, run: Run) -> SalesFile:
    """A run's file again, from its retained bytes, read as the run read it (a replay, a what-if)."""
    return sales_file(inbox, raw_key(run.file_id), run.file)


def prepare(
    job: FileJob,
    *,
    inbox: InboxBucket,
    audit: AuditLog,
    quarantine: QuarantineQueue,
    quarantined: QuarantineView,
    chunk_records: int,
    max_partitions: int,
    contracts: Contracts,
    executions: Executions | None = None,
) -> dict[str, Any]:
    """`executions` None: no lookups, so a claim held by another execution always makes a duplicate.
    `contracts`: the active pointer is read once, here, when the run starts; every step of the run judges by
    the contract it names (a retry of a failed run, by the contract that run started with)."""
    ref, judge = contracts.active()
    job = job.model_copy(update={"run": job.run.judged_by(ref)})
    prefix = f"{STAGING}/{job.run.execution}"
    sales = sales_file(inbox, job.key, job.name, job.version_id)
    layout = Layout(partitions_for(sales.size_hint or 0, chunk_records, max_partitions), chunk_records)
    try:
        manifest, records = split(sales, inbox, prefix, layout, judge)
    except FileRejectedError as rejection:
        inbox.delete_prefix(prefix + "/")
        file_id = redrive_batch.file_id(job.key, sales.fingerprint)
        if (first := claims.answering(job, file_id, audit)) is not None:
            return _redelivered(job, file_id, first)
        rejected = job.run.model_copy(update={"file_id": file_id})
        return _reject(job, rejected, rejection.reason, inbox, audit, quarantine, quarantined)

    file_id = redrive_batch.file_id(job.key, sales.fingerprint)
    if (first := claims.answering(job, file_id, audit)) is not None:
        inbox.delete_prefix(prefix + "/")
        return _redelivered(job, file_id, first)
    mine = job.run.model_copy(update={"file_id": file_id})  # this execution's own run, until a claim says
    claim, earlier = claims.claim(job, file_id, layout, audit, executions)
    if claim is None and job.run.replay_of:  # the file's holder is still running: a replay waits for it to end
        inbox.delete_prefix(prefix + "/")
        holder = earlier.get("execution")
        return {
            "status": "refused",
            "file": job.run.replay_of.file,
            "file_id": file_id,
            "reason": f"the file is still being processed by execution {holder}: replay it once that ends",
            "holder": holder,
        }
    if claim is None:
        inbox.delete_prefix(prefix + "/")
        _file_event(audit, mine, EventKind.FILE_DUPLICATE, duplicate_of=earlier.get("file"))
        return {
            "status": "duplicate",
            "file": job.key,
            "file_id": file_id,
            "duplicate_of": earlier.get("file"),
            # the claim's holder: a second delivery of an event without a sequencer names the execution doing the work
            "holder": earlier.get("execution"),
        }

    # A retry continues the failed run: its writes land on that run's keys, and its records are the run's
    # file's, under its first name; a replay, or a failed replay's continuation, resolves what it stores.
    run = job.run.continued(file_id, claim)
    claimed = Layout.of(claim, layout)
    if claimed != layout or run.contract != ref:  # the run we continue was split by another config or contract
        judge = contracts.of(run.contract)
        inbox.delete_prefix(prefix + "/")
        manifest, records = split(sales_file(inbox, job.key, job.name, job.version_id), inbox, prefix, claimed, judge)
    if replayed := job.run.replay_of:  # this execution started the replay; a retried Prepare rewrites the event
        _file_event(audit, run, EventKind.FILE_REPLAYED, replay_of=replayed.id, replay_of_execution=replayed.execution)
    retried = claim.get("retry_of")
    if retried:  # written here, not at the takeover, so a retried Prepare writes it too
        _file_event(
            audit,
            mine,
            EventKind.FILE_RETRIED,
            failed_execution=retried["execution"],
            failed_status=retried["status"],
            run_at=run.id,
        )

    if job.key != raw_key(file_id):  # content-addressed: a later upload cannot change it (a replay reads it)
        inbox.copy(job.key, raw_key(file_id), job.version_id)
    manifest_key = f"{prefix}/manifest.json"
    inbox.put_json(manifest_key, manifest)
    chunks = sum(len(entry["chunks"]) for entry in manifest)
    _file_event(
        audit,
        run,
        EventKind.FILE_ACCEPTED,
        records=records,
        chunks=chunks,
        partitions=len(manifest),
        bytes=sales.size,
        contract=judge.version,
    )
    return {
        "status": "ready",
        **run.to_payload(),  # every chunk's input names the run (its `replay_of` None: not a replay)
        "records": records,
        "chunks": chunks,
        "partitions": len(manifest),
        "manifest": {"Bucket": job.bucket, "Key": manifest_key},
    }


def _redelivered(job: FileJob, file_id: str, first: str) -> dict[str, Any]:
    """Another delivery of an upload's event: no event, no run of its own; `holder` names the execution that
    answers for the upload (its run, rejection or duplicate), which the command line follows."""
    return {"status": "redelivered", "file": job.key, "file_id": file_id, "holder": first}


def _file_event(audit: AuditLog, run: Run, kind: EventKind, **detail: Any) -> None:
    audit.append([audit_events.file_event(run=run, kind=kind, **detail)])


def _reject(
    job: FileJob,
    run: Run,
    reason: str,
    inbox: InboxBucket,
    audit: AuditLog,
    quarantine: QuarantineQueue,
    quarantined: QuarantineView,
) -> dict[str, Any]:
    kept = f"{QUARANTINED_FILES}/{run.file_id}/{job.key.rsplit('/', 1)[-1]}"
    inbox.copy(job.key, kept, job.version_id)
    message = quarantine_message.for_file(
        run=run, reasons=quarantine_message.file_reasons(reason), quarantined_key=kept
    )
    quarantine.send([message])
    quarantined.open([message])
    _file_event(audit, run, EventKind.FILE_REJECTED, reason=reason, quarantined_key=kept)
    return {"status": "rejected", "file": job.key, "file_id": run.file_id, "reason": reason}
