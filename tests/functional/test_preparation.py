"""prepare(): a file becomes partitioned chunks + manifest, or is rejected whole, or is a duplicate."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from services.audit import events
from services.validator.preparation import FileJob, partition_of, partitions_for, prepare

from .conftest import BUCKET, Aws

AT = "2024-03-01T10:00:00.000Z"


def good(i: int, order_id: str | None = None) -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id or f"O-{i}", "item-id": f"S-{i}", "qty": 1 + i % 5},
        "contact-info": {"name": f"N{i}", "email": f"n{i}@example.com"},
    }


def upload(aws: Aws, key: str, data: bytes) -> FileJob:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return FileJob(bucket=BUCKET, key=key, size=len(data), execution="exec-1", at=AT)


def run(aws: Aws, job: FileJob, chunk_records: int = 3, max_partitions: int = 4) -> dict[str, Any]:
    s = aws.stores
    return prepare(
        job,
        staging=s.staging,
        audit=s.audit,
        quarantine=s.quarantine,
        chunk_records=chunk_records,
        max_partitions=max_partitions,
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
    accepted = [e for e in audit if e["event"] == events.FILE_RECEIVED]
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
    assert len([e for e in aws.audit() if e["event"] == events.FILE_RECEIVED]) == 1


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
        "id": f"file:{fingerprint}:{job.execution}",
        "file": job.key,
        "file_id": fingerprint,
        "quarantined_key": kept,
        "reasons": [{"field": "$file", "rule": "file_rejected", "message": result["reason"]}],
        "attempt": 1,
        "at": AT,
    }
    (event,) = [e for e in aws.audit() if e["event"] == events.FILE_REJECTED]
    assert event["reason"] == result["reason"]
    assert event["quarantined_key"] == kept
    assert event["day"] == "2024-03-01"
    assert event["pk"] == f"FILE#{fingerprint}"
    assert not [e for e in aws.audit() if e["event"] in (events.FILE_RECEIVED, "file.claimed")]
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
    second_job = FileJob(BUCKET, "incoming/copy.json", len(data), "exec-2", "2024-03-02T09:00:00.000Z")

    second = run(aws, second_job)

    assert first["status"] == "ready"
    assert second == {
        "status": "duplicate",
        "file": "incoming/copy.json",
        "file_id": first["file_id"],
        "duplicate_of": "incoming/monday.json",
    }
    assert aws.objects("staging/exec-2/") == {}
    assert "staging/exec-1/manifest.json" in aws.objects("staging/exec-1/")
    (dup,) = [e for e in aws.audit() if e["event"] == events.FILE_DUPLICATE]
    assert dup["duplicate_of"] == "incoming/monday.json"
    assert dup["execution"] == "exec-2"
    assert dup["day"] == "2024-03-02"
    assert aws.messages() == []
