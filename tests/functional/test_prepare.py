"""prepare(): a file becomes partitioned chunks + manifest, or is rejected whole, or is a duplicate."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from salesdq import resources
from services.contract.published import Contracts
from services.dal.audit_log import AuditLog
from services.dal.executions import Executions
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.payloads import FileJob
from services.domain.run import Run
from services.ingest.claim import GONE
from services.ingest.prepare import prepare
from services.ingest.split import partition_of, partitions_for

from .conftest import BUCKET, Aws

AT = "2024-03-01T10:00:00.000Z"


def good(i: int, order_id: str | None = None) -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id or f"O-{i}", "item-id": f"S-{i}", "qty": 1 + i % 5},
        "contact-info": {"name": f"N{i}", "email": f"n{i}@example.com"},
    }


def upload(aws: Aws, key: str, data: bytes) -> FileJob:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return FileJob(
        run=Run(file=key, id=AT, execution="exec-1"), bucket=BUCKET, key=key, size=len(data), state_machine=""
    )


def run(aws: Aws, job: FileJob, chunk_records: int = 3, max_partitions: int = 4) -> dict[str, Any]:
    s = aws.stores
    return prepare(
        job,
        inbox=s.inbox,
        audit=s.audit,
        quarantine=s.quarantine,
        quarantined=s.quarantined,
        chunk_records=chunk_records,
        max_partitions=max_partitions,
        contracts=Contracts(s.contracts),
    )


def test_ready_file_is_staged_in_partitioned_chunks(aws):
    records: list[Any] = [good(i) for i in range(30)]
    records[5] = good(5, order_id="O-1")  # same order as record 1: must share its partition
    records[9] = good(9, order_id="O-1")
    records[12] = {"order-info": {"qty": 1}}  # no id: still staged, spread by position
    records[13] = None  # not an object: still staged, the contract judges it later
    records[14] = {"order-info": {"orderId": "O-3"}}  # alias: grouped with O-3
    data = json.dumps({"orders": records}).encode()
    job = upload(aws, "incoming/day1.json", data)

    result = run(aws, job)

    fingerprint = hashlib.sha256(data).hexdigest()
    partitions = partitions_for(len(data), 3, 4)
    assert partitions == 4
    assert result["status"] == "ready"
    assert result["file"] == "incoming/day1.json"
    assert result["file_id"] == fingerprint
    assert result["records"] == 30
    assert result["manifest"] == {"Bucket": BUCKET, "Key": "staging/exec-1/manifest.json"}

    staged = aws.objects("staging/exec-1/")
    manifest = json.loads(staged.pop("staging/exec-1/manifest.json"))
    assert result["partitions"] == len(manifest)
    assert result["chunks"] == sum(len(p["chunks"]) for p in manifest) == len(staged)

    seen: dict[int, Any] = {}
    partition_of_order: dict[str, int] = {}
    for entry in manifest:
        assert entry["chunks"], "a manifest lists only partitions with records"
        last_index = -1
        for number, chunk in enumerate(entry["chunks"]):
            assert chunk["chunk"] == number
            assert chunk["key"] == f"staging/exec-1/p{entry['partition']:05d}/c{number:07d}.json"
            body = json.loads(staged[chunk["key"]])["records"]
            assert len(body) == chunk["records"]
            assert 1 <= len(body) <= 3
            for index, rec in body:
                assert index > last_index, "a partition's chunks run in file order"
                last_index = index
                assert index not in seen
                seen[index] = rec
                order_id = None
                if isinstance(rec, dict) and isinstance(rec.get("order-info"), dict):
                    info = rec["order-info"]
                    order_id = info.get("OrderId") or info.get("orderId")
                assert entry["partition"] == partition_of(order_id, index, partitions)
                if order_id:
                    assert partition_of_order.setdefault(order_id, entry["partition"]) == entry["partition"]
    assert [seen[i] for i in range(30)] == records  # every record exactly once, unchanged

    audit = aws.audit()
    accepted = [e for e in audit if e["event"] == EventKind.FILE_ACCEPTED]
    assert len(accepted) == 1
    assert accepted[0]["records"] == 30
    assert accepted[0]["chunks"] == result["chunks"]
    assert accepted[0]["partitions"] == result["partitions"]
    assert accepted[0]["bytes"] == len(data)
    assert accepted[0]["day"] == "2024-03-01"
    assert aws.stores.audit.get(f"FINGERPRINT#{fingerprint}", "CLAIM")["file"] == "incoming/day1.json"
    assert aws.orders() == {}
    assert aws.messages() == []


def test_small_file_is_one_partition_one_chunk(aws):
    data = b"\n".join(json.dumps(good(i)).encode() for i in range(3))
    result = run(aws, upload(aws, "incoming/small.jsonl", data), chunk_records=1000, max_partitions=64)
    assert (result["status"], result["records"], result["chunks"], result["partitions"]) == ("ready", 3, 1, 1)


def test_retried_prepare_of_the_same_execution_is_ready_again(aws):
    job = upload(aws, "incoming/a.json", json.dumps([good(i) for i in range(7)]).encode())
    first = run(aws, job)
    second = run(aws, job)
    assert first == second
    assert second["status"] == "ready"
    assert len([e for e in aws.audit() if e["event"] == EventKind.FILE_ACCEPTED]) == 1


def rejected_checks(aws: Aws, job: FileJob, data: bytes, result: dict[str, Any], reason_start: str) -> None:
    fingerprint = hashlib.sha256(data).hexdigest()
    assert result["status"] == "rejected"
    assert result["reason"].startswith(reason_start)
    assert result["file_id"] == fingerprint
    name = job.key.rsplit("/", 1)[-1]
    kept = f"quarantine/files/{fingerprint}/{name}"
    assert aws.objects("staging/") == {}, "staged chunks of a rejected file are deleted"
    assert aws.objects("quarantine/files/") == {kept: data}
    assert aws.objects(job.key) == {job.key: data}  # the upload itself stays where it was
    (message,) = aws.messages()
    assert message == {
        "kind": "file",
        "id": f"file:{fingerprint}:{job.run.execution}",
        "file": job.key,
        "file_id": fingerprint,
        "quarantined_key": kept,
        "reasons": [{"field": "$file", "rule": "file_rejected", "message": result["reason"]}],
        "attempt": 1,
        "at": AT,
    }
    (event,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_REJECTED]
    assert event["reason"] == result["reason"]
    assert event["quarantined_key"] == kept
    assert event["day"] == "2024-03-01"
    assert event["pk"] == f"FILE#{fingerprint}"
    assert not [e for e in aws.audit() if e["event"] in (EventKind.FILE_ACCEPTED, "file.claimed")]
    assert aws.orders() == {}


def test_file_truncated_after_chunks_were_staged_is_rejected_whole(aws):
    data = json.dumps([good(i) for i in range(40)]).encode()[:-30]
    job = upload(aws, "incoming/cut.json", data)
    result = run(aws, job, chunk_records=2, max_partitions=2)
    rejected_checks(aws, job, data, result, "the file is truncated")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (b"[]", "the file holds no records"),
        (b'{"orders": {}}', '"orders" is an object, not a list'),
        (b"[1, 2", "the file is truncated"),
        (b'[{"name": "caf\xe9"}]', "the file is not UTF-8 text"),
        (b"42", "the top level is a number"),
    ],
)
def test_rejected_files(aws, data, reason):
    job = upload(aws, "incoming/sub/bad.json", data)
    result = run(aws, job)
    rejected_checks(aws, job, data, result, reason)


def test_two_different_rejected_files_with_one_name_do_not_overwrite_each_other(aws):
    first = upload(aws, "incoming/a/bad.json", b"\xff\xfe not text")
    second = upload(aws, "incoming/b/bad.json", b"\xff\xfe other bytes")
    run(aws, first)
    run(aws, second)
    kept = aws.objects("quarantine/files/")
    assert sorted(kept.values()) == sorted([b"\xff\xfe not text", b"\xff\xfe other bytes"])


def test_same_bytes_under_another_key_is_a_duplicate(aws):
    data = json.dumps([good(i) for i in range(10)]).encode()
    first = run(aws, upload(aws, "incoming/monday.json", data))
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/copy.json", Body=data)
    second_job = FileJob(
        run=Run(file="incoming/copy.json", id="2024-03-02T09:00:00.000Z", execution="exec-2"),
        bucket=BUCKET,
        key="incoming/copy.json",
        size=len(data),
        state_machine="",
    )

    second = run(aws, second_job)

    assert first["status"] == "ready"
    assert second == {
        "status": "duplicate",
        "file": "incoming/copy.json",
        "file_id": first["file_id"],
        "duplicate_of": "incoming/monday.json",
        "holder": "exec-1",
    }
    assert aws.objects("staging/exec-2/") == {}
    assert "staging/exec-1/manifest.json" in aws.objects("staging/exec-1/")
    (dup,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_DUPLICATE]
    assert dup["duplicate_of"] == "incoming/monday.json"
    assert dup["execution"] == "exec-2"
    assert dup["day"] == "2024-03-02"
    assert aws.messages() == []


# ---------------------------------------------------------------- a re-upload after the run's execution failed

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:salesdq-ingest"
LATER = "2024-03-05T08:00:00.000Z"


def arn(execution: str) -> str:
    return f"arn:aws:states:us-east-1:123456789012:execution:salesdq-ingest:{execution}"


class StubStepFunctions:
    """describe_execution from a table of statuses; an execution not in it does not exist."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = {arn(name): status for name, status in statuses.items()}
        self.asked: list[str] = []

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # boto3 names it so
        self.asked.append(executionArn)
        if executionArn not in self.statuses:
            error = {
                "Error": {"Code": "ExecutionDoesNotExist", "Message": f"Execution Does Not Exist: '{executionArn}'"}
            }
            raise ClientError(error, "DescribeExecution")
        return {"executionArn": executionArn, "status": self.statuses[executionArn]}


def again(aws: Aws, key: str, data: bytes, execution: str) -> FileJob:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return FileJob(
        run=Run(file=key, id=LATER, execution=execution), bucket=BUCKET, key=key, size=len(data), state_machine=MACHINE
    )


def run_with(aws: Aws, job: FileJob, sfn: StubStepFunctions, audit: AuditLog | None = None, **layout: int) -> dict:
    s = aws.stores
    return prepare(
        job,
        inbox=s.inbox,
        audit=audit or s.audit,
        quarantine=s.quarantine,
        quarantined=s.quarantined,
        chunk_records=layout.get("chunk_records", 3),
        max_partitions=layout.get("max_partitions", 4),
        contracts=Contracts(s.contracts),
        executions=Executions(client=sfn),
    )


def claim_of(aws: Aws, file_id: str) -> dict[str, Any]:
    found = aws.stores.audit.get(f"FINGERPRINT#{file_id}", "CLAIM")
    assert found is not None
    return found


def chunk_bodies(aws: Aws, manifest_key: str) -> list[tuple[int, int, bytes]]:
    """(partition, chunk, body) of every chunk a manifest lists: the layout without the run's prefix."""
    manifest = json.loads(aws.objects(manifest_key)[manifest_key])
    return [
        (entry["partition"], chunk["chunk"], aws.objects(chunk["key"])[chunk["key"]])
        for entry in manifest
        for chunk in entry["chunks"]
    ]


def events_of(aws: Aws, kind: str) -> list[dict[str, Any]]:
    return [e for e in aws.audit() if e["event"] == kind]


DATA = json.dumps([good(i) for i in range(20)]).encode()


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_a_reupload_takes_over_the_claim_of_an_execution_that_ended_unfinished(aws, status):
    first = run(aws, upload(aws, "incoming/monday.json", DATA))
    sfn = StubStepFunctions({"exec-1": status})

    second = run_with(aws, again(aws, "incoming/monday-again.json", DATA, "exec-2"), sfn)

    assert sfn.asked == [arn("exec-1")]
    assert second["status"] == "ready"
    assert second["file_id"] == first["file_id"]
    assert second["at"] == AT  # the failed run's: chunk markers, record events and orders keep their keys
    assert second["manifest"]["Key"] == "staging/exec-2/manifest.json"
    assert (second["records"], second["chunks"], second["partitions"]) == (
        first["records"],
        first["chunks"],
        first["partitions"],
    )
    assert chunk_bodies(aws, second["manifest"]["Key"]) == chunk_bodies(aws, first["manifest"]["Key"])
    claim = claim_of(aws, first["file_id"])
    # The run keeps its first name: what the re-upload sends again is what the dead attempts sent.
    assert (claim["execution"], claim["at"], claim["file"]) == ("exec-2", AT, "incoming/monday.json")
    assert second["file"] == "incoming/monday.json"
    assert claim["retry_of"] == {"execution": "exec-1", "status": status}
    (retried,) = events_of(aws, EventKind.FILE_RETRIED)
    assert retried["sk"] == f"EVENT#{LATER}#{EventKind.FILE_RETRIED}"
    assert (retried["failed_execution"], retried["failed_status"]) == ("exec-1", status)
    assert (retried["execution"], retried["run_at"], retried["day"]) == ("exec-2", AT, "2024-03-05")
    assert retried["file"] == "incoming/monday-again.json"  # the upload that continued it
    (accepted,) = events_of(aws, EventKind.FILE_ACCEPTED)  # the run's, rewritten: one run, one acceptance
    assert (accepted["at"], accepted["execution"], accepted["records"]) == (AT, "exec-2", 20)
    assert events_of(aws, EventKind.FILE_DUPLICATE) == []


@pytest.mark.parametrize("status", ["RUNNING", "SUCCEEDED", "PENDING_REDRIVE"])
def test_a_reupload_while_the_holder_runs_or_after_it_succeeded_is_a_duplicate(aws, status):
    first = run(aws, upload(aws, "incoming/monday.json", DATA))
    claim_before = claim_of(aws, first["file_id"])

    second = run_with(aws, again(aws, "incoming/copy.json", DATA, "exec-2"), StubStepFunctions({"exec-1": status}))

    assert second == {
        "status": "duplicate",
        "file": "incoming/copy.json",
        "file_id": first["file_id"],
        "duplicate_of": "incoming/monday.json",
        "holder": "exec-1",
    }
    assert claim_of(aws, first["file_id"]) == claim_before
    assert aws.objects("staging/exec-2/") == {}
    assert events_of(aws, EventKind.FILE_RETRIED) == []
    assert [e["execution"] for e in events_of(aws, EventKind.FILE_DUPLICATE)] == ["exec-2"]


def test_of_two_reuploads_at_once_the_one_that_loses_the_takeover_is_a_duplicate(aws):
    first = run(aws, upload(aws, "incoming/monday.json", DATA))
    failed_claim = claim_of(aws, first["file_id"])
    sfn = StubStepFunctions({"exec-1": "FAILED"})

    class ReadBeforeTheWinner(AuditLog):
        """Finds the claim as it was before the other re-upload took it over: the race, in a fixed order."""

        def append_first(self, event: dict[str, Any]) -> dict[str, Any] | None:
            return failed_claim

    winner = run_with(aws, again(aws, "incoming/a.json", DATA, "exec-2"), sfn)
    loser = run_with(
        aws,
        again(aws, "incoming/b.json", DATA, "exec-3"),
        sfn,
        audit=ReadBeforeTheWinner(resources.AUDIT.name, aws.ddb),
    )

    assert winner["status"] == "ready"
    # The loser found the failed execution holding the claim, but names the winner, which does the work: a
    # follower of a doubly delivered re-upload that met the loser first follows the holder to the run.
    # It is a duplicate of the run, which keeps its first file's name.
    assert (loser["status"], loser["holder"], loser["duplicate_of"]) == ("duplicate", "exec-2", "incoming/monday.json")
    assert claim_of(aws, first["file_id"])["execution"] == "exec-2"
    assert aws.objects("staging/exec-3/") == {}
    assert [e["execution"] for e in events_of(aws, EventKind.FILE_RETRIED)] == ["exec-2"]
    [duplicate] = events_of(aws, EventKind.FILE_DUPLICATE)
    assert (duplicate["execution"], duplicate["duplicate_of"]) == ("exec-3", "incoming/monday.json")


def test_a_takeover_is_conditional_on_the_failed_execution_still_holding_the_claim(aws):
    audit = aws.stores.audit
    audit.append_first(audit_events.claim(run=Run(file_id="F", file="k", id=AT, execution="exec-1")))
    taken = audit_events.claim(run=Run(file_id="F", file="k", id=AT, execution="exec-2"))

    assert audit.take_over(taken, "exec-1") is True
    assert (
        audit.take_over(audit_events.claim(run=Run(file_id="F", file="k", id=AT, execution="exec-3")), "exec-1")
        is False
    )
    assert (
        audit.take_over(audit_events.claim(run=Run(file_id="G", file="k", id=AT, execution="exec-3")), "exec-1")
        is False
    )
    assert audit.get("FINGERPRINT#F", "CLAIM") == taken
    assert audit.get("FINGERPRINT#G", "CLAIM") is None  # no claim: nothing to take over


def test_a_retried_prepare_of_the_execution_that_took_over_continues_the_same_run(aws):
    run(aws, upload(aws, "incoming/monday.json", DATA))
    sfn = StubStepFunctions({"exec-1": "FAILED"})
    job = again(aws, "incoming/monday-again.json", DATA, "exec-2")

    first_try = run_with(aws, job, sfn)
    second_try = run_with(aws, job, sfn)

    assert second_try == first_try
    assert sfn.asked == [arn("exec-1")]  # it holds the claim: nothing to ask the second time
    assert len(events_of(aws, EventKind.FILE_RETRIED)) == 1


def test_a_takeover_splits_the_file_as_the_failed_run_did(aws):
    first = run(aws, upload(aws, "incoming/monday.json", DATA), chunk_records=3, max_partitions=4)
    job = again(aws, "incoming/monday.json", DATA, "exec-2")

    second = run_with(aws, job, StubStepFunctions({"exec-1": "FAILED"}), chunk_records=7, max_partitions=2)

    assert second["chunks"] == first["chunks"] and second["partitions"] == first["partitions"]
    assert chunk_bodies(aws, second["manifest"]["Key"]) == chunk_bodies(aws, first["manifest"]["Key"])
    staged = set(aws.objects("staging/exec-2/"))
    assert staged == {second["manifest"]["Key"]} | {
        f"staging/exec-2/p{p:05d}/c{c:07d}.json" for p, c, _ in chunk_bodies(aws, first["manifest"]["Key"])
    }, "the first split's chunks are gone"


def test_a_holder_step_functions_no_longer_keeps_gives_up_the_claim_unless_it_completed_the_file(aws):
    first = run(aws, upload(aws, "incoming/monday.json", DATA))
    forgotten = StubStepFunctions({})

    retried = run_with(aws, again(aws, "incoming/a.json", DATA, "exec-2"), forgotten)

    assert retried["status"] == "ready"
    assert claim_of(aws, first["file_id"])["retry_of"] == {"execution": "exec-1", "status": GONE}
    aws.stores.audit.append(
        [
            audit_events.file_event(
                run=Run(file_id=first["file_id"], file="incoming/a.json", id=AT, execution="x"),
                kind=EventKind.FILE_COMPLETED,
            )
        ]
    )
    completed = run_with(aws, again(aws, "incoming/b.json", DATA, "exec-3"), forgotten)
    assert completed["status"] == "duplicate"
    assert forgotten.asked == [arn("exec-1"), arn("exec-2")]


def test_without_execution_lookups_another_executions_claim_is_a_duplicate(aws):
    run(aws, upload(aws, "incoming/monday.json", DATA))
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/copy.json", Body=DATA)
    job = FileJob(
        run=Run(file="incoming/copy.json", id=LATER, execution="exec-2"),
        bucket=BUCKET,
        key="incoming/copy.json",
        size=len(DATA),
        state_machine="",
    )  # as bench/prepare_memory.py calls
    assert run(aws, job)["status"] == "duplicate"


def test_an_accepted_files_bytes_are_kept_under_their_sha256_whatever_the_name_holds_later(aws):
    data = json.dumps({"orders": [{"order-info": {"OrderId": "1"}}]}).encode()
    ready = run(aws, upload(aws, "incoming/day.json", data))
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/day.json", Body=b'{"orders": []}')  # the name, overwritten

    assert ready["status"] == "ready"
    assert hashlib.sha256(data).hexdigest() == ready["file_id"]
    assert aws.objects(f"raw/{ready['file_id']}") == {f"raw/{ready['file_id']}": data}


# ---------------------------------------------------------------- one upload's event delivered twice


def delivered(key: str, data: bytes, execution: str, sequencer: str | None) -> FileJob:
    """The job an execution gets from one delivery of a write's event (None: an event without a sequencer)."""
    uploaded = {"key": key, "size": len(data), **({"sequencer": sequencer} if sequencer else {})}
    at = f"2024-03-0{execution[-1]}T09:00:00.000Z"
    return FileJob.from_payload(
        {"bucket": BUCKET, "object": uploaded, "execution": execution, "at": at, "state_machine": ""}
    )


@pytest.mark.parametrize("data", [DATA, b"[1, 2"], ids=["accepted", "rejected"])
def test_another_delivery_of_one_uploads_event_answers_redelivered_and_writes_nothing(aws, data):
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/monday.json", Body=data)
    first = run(aws, delivered("incoming/monday.json", data, "exec-1", "0000018E0C0F12AB00"))
    events, messages = aws.audit(), aws.messages()

    again = run(aws, delivered("incoming/monday.json", data, "exec-2", "0000018E0C0F12AB00"))

    assert first["status"] in ("ready", "rejected")
    assert again == {
        "status": "redelivered",
        "file": "incoming/monday.json",
        "file_id": first["file_id"],
        "holder": "exec-1",
    }
    assert aws.audit() == events and aws.messages() == messages  # no event, no quarantine message of its own
    assert aws.objects("staging/exec-2/") == {}
    retried = run(aws, delivered("incoming/monday.json", data, "exec-1", "0000018E0C0F12AB00"))
    assert retried["status"] == first["status"]  # the first execution's Prepare, retried, still answers for it


@pytest.mark.parametrize(
    ("key", "sequencer"),
    [
        ("incoming/monday.json", "0000018E0C0F12AB01"),
        ("incoming/copy.json", "0000018E0C0F12AB00"),
        ("incoming/monday.json", None),
    ],
    ids=["written-again", "another-key", "no-sequencer"],
)
def test_the_same_bytes_written_again_are_a_duplicate_however_often_delivered(aws, key, sequencer):
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/monday.json", Body=DATA)
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/copy.json", Body=DATA)
    assert run(aws, delivered("incoming/monday.json", DATA, "exec-1", "0000018E0C0F12AB00"))["status"] == "ready"

    second = run(aws, delivered(key, DATA, "exec-2", sequencer))
    third = run(aws, delivered(key, DATA, "exec-3", sequencer))  # the same event delivered again

    assert (second["status"], second["holder"]) == ("duplicate", "exec-1")
    duplicates = [e["execution"] for e in events_of(aws, EventKind.FILE_DUPLICATE)]
    if sequencer is None:  # nothing names the write: as before, each delivery is an upload of its own
        assert third["status"] == "duplicate" and duplicates == ["exec-2", "exec-3"]
    else:
        assert (third["status"], third["holder"]) == ("redelivered", "exec-2") and duplicates == ["exec-2"]
