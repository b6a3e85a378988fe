"""The active contract in the inbox bucket (services/dal/contract_store.py), and one run, one contract: a run judges
by the contract active when its Prepare started, whatever is published while it runs; the next run picks the
new one up with no redeploy. Driven as the workflow drives the steps: Prepare's output becomes each chunk's
payload (asl/ingest.asl.json's ItemSelectors) and Finalize's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salesdq import resources
from salesdq.locate import StackRef
from salesdq.operators import publish
from services.contract import DEFAULT_PATH, default, from_text
from services.contract.published import ContractNotFoundError, Contracts
from services.domain.active_contract import ACTIVE_KEY, ContractRef, Pointer, version_key
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob, FileJob, FileRun
from services.domain.run import Run
from services.ingest.finalize import finalize
from services.validator.validate_chunk import validate_chunk

from .conftest import BUCKET, Aws
from .test_prepare import run as prepare_file

DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")
# The default contract with its email format rule dropped: any text is an email (a relaxing change).
RELAXED_TEXT = DEFAULT_TEXT.replace("version: 2.0.0", "version: 2.1.0").replace(
    "            logicalTypeOptions:\n              format: email\n", ""
)
RUN_FIELDS = ("file_id", "file", "at", "execution", "replay_of", "contract")  # what the ItemSelectors pass on


def order(order_id: str, email: str = "ada@example.com") -> dict[str, Any]:
    return {
        "order-info": {"OrderId": order_id, "item-id": "SKU", "qty": 1},
        "contact-info": {"name": "Ada", "email": email},
    }


def stack_of(aws: Aws) -> StackRef:
    clients = {"s3": aws.s3, "sqs": aws.sqs, "dynamodb": aws.ddb}
    names = (BUCKET, resources.ORDERS.name, resources.AUDIT.name, aws.queue_url, "sm", "fn", resources.QUARANTINED.name)
    return StackRef(*names, connect=clients.__getitem__)


def start(aws: Aws, key: str, records: list[Any], at: str, execution: str) -> dict[str, Any]:
    """An upload and its run's Prepare: the step's output."""
    body = json.dumps({"orders": records}).encode()
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    run = Run(file=key, id=at, execution=execution)
    job = FileJob(run=run, bucket=BUCKET, key=key, size=len(body), state_machine="")
    return prepare_file(aws, job, chunk_records=10, max_partitions=1)


def finish(aws: Aws, prepared: dict[str, Any]) -> dict[str, Any]:
    """The rest of the run, as the workflow passes Prepare's output on: every chunk, then Finalize."""
    assert prepared["status"] == "ready"
    manifest = aws.stores.inbox.get_json(prepared["manifest"]["Key"])
    run = {k: prepared[k] for k in RUN_FIELDS}
    for partition in manifest:
        for entry in partition["chunks"]:
            payload = json.loads(json.dumps({**run, "partition": partition["partition"], "chunk": entry}))
            validate_chunk(ChunkJob.from_payload(payload), aws.stores)
    return finalize(FileRun.from_payload(json.loads(json.dumps(prepared))), aws.stores.audit)


def record_events(aws: Aws, file_id: str) -> dict[str, tuple[str, str]]:
    """order id -> (outcome, contract its event names), for the file's record events."""
    events = [e for e in aws.audit() if e["event"].startswith("record.") and e.get("file_id") == file_id]
    return {e["order_id"]: (e["outcome"], e["contract"]) for e in events}


def test_the_store_keeps_each_document_once_and_points_at_the_active_one(aws: Aws) -> None:
    store = aws.stores.contracts
    assert store.pointer() is None  # nothing published: the shipped default is active
    relaxed = from_text(RELAXED_TEXT, "relaxed")
    key = store.keep(relaxed.digest, RELAXED_TEXT)
    assert key == f"contracts/versions/{relaxed.digest}.odcs.yaml"
    assert store.keep(relaxed.digest, "something else") == key  # never overwritten
    assert store.document(key) == RELAXED_TEXT
    assert store.document(version_key("0" * 64)) is None
    pointer = Pointer(version=relaxed.version, digest=relaxed.digest, key=key, published_at="t", by="me")
    store.point(pointer)
    assert store.pointer() == pointer
    assert json.loads(aws.objects(ACTIVE_KEY)[ACTIVE_KEY]) == pointer.model_dump()
    ref, judge = Contracts(store).active()
    assert (ref, judge.digest) == (pointer.ref, relaxed.digest)


def test_a_published_contract_is_compiled_once_per_function_by_its_key(aws: Aws, monkeypatch) -> None:
    relaxed = from_text(RELAXED_TEXT, "relaxed")
    key = aws.stores.contracts.keep(relaxed.digest, RELAXED_TEXT)
    reads: list[str] = []
    real = aws.stores.contracts.document
    monkeypatch.setattr(aws.stores.contracts, "document", lambda k: reads.append(k) or real(k))
    ref = ContractRef(version=relaxed.version, digest=relaxed.digest, key=key)
    warm = Contracts(aws.stores.contracts)  # one function's, from its cold start
    first, again = warm.of(ref), warm.of(ref)
    assert first is again and first.digest == relaxed.digest
    assert reads == [key]
    assert Contracts(aws.stores.contracts).of(ref).digest == relaxed.digest  # another function's: its own read
    assert reads == [key, key]
    assert Contracts(aws.stores.contracts).of(None) is default()  # a run from before: the shipped contract
    with pytest.raises(ContractNotFoundError, match="is not kept"):
        Contracts(aws.stores.contracts).of(ContractRef(version="x", digest="1" * 64, key=version_key("1" * 64)))


def test_a_run_keeps_the_contract_active_when_it_started_and_the_next_run_takes_the_new_one(aws: Aws) -> None:
    records = [order("A"), order("B", email="nobody"), order("C")]  # B fails the default's email rule only
    stack = stack_of(aws)
    first = start(aws, "incoming/one.json", records, "2024-03-01T09:00:00.000Z", "exec-1")
    shipped = default()
    assert first["contract"] == {"version": shipped.version, "digest": shipped.digest, "key": None}

    relaxed = from_text(RELAXED_TEXT, "relaxed")
    proposal = publish.propose(stack, relaxed, RELAXED_TEXT)
    done = publish.publish(stack, proposal, "tester")  # lands while the first run's chunks are still to run
    assert done["status"] == "published" and done["contract"] == relaxed.version

    summary = finish(aws, first)
    assert summary["contract"] == shipped.version
    assert record_events(aws, first["file_id"]) == {
        "A": ("stored", shipped.version),
        "B": ("quarantined", shipped.version),
        "C": ("stored", shipped.version),
    }

    second = start(aws, "incoming/two.json", [order("D"), order("E", email="nobody")], "2024-03-01T10:00:00.000Z", "e2")
    assert ContractRef.model_validate(second["contract"]) == ContractRef(
        version=relaxed.version, digest=relaxed.digest, key=version_key(relaxed.digest)
    )
    assert finish(aws, second)["contract"] == relaxed.version
    assert record_events(aws, second["file_id"]) == {
        "D": ("stored", relaxed.version),
        "E": ("stored", relaxed.version),  # the relaxed rule admits it
    }
    (accepted,) = [e for e in aws.audit() if e["event"] == EventKind.FILE_ACCEPTED and e["file"] == "incoming/two.json"]
    assert accepted["contract"] == relaxed.version


def test_publishing_the_active_contract_again_writes_nothing_and_history_lists_what_was_active_when(
    aws: Aws, tmp_path: Path
) -> None:
    stack = stack_of(aws)
    same = publish.propose(stack, default(), DEFAULT_TEXT)
    assert publish.publish(stack, same, "tester")["status"] == "already_active"
    assert aws.objects("contracts/") == {}
    assert [e for e in aws.audit() if e["event"] == EventKind.CONTRACT_PUBLISHED] == []

    relaxed = from_text(RELAXED_TEXT, "relaxed")
    publish.publish(stack, publish.propose(stack, relaxed, RELAXED_TEXT), "tester")
    again = publish.propose(stack, relaxed, RELAXED_TEXT)
    assert publish.publish(stack, again, "tester")["status"] == "already_active"
    # the shipped default it replaced is kept too: every contract ever active stays readable
    assert set(aws.objects("contracts/versions/")) == {version_key(default().digest), version_key(relaxed.digest)}
    entries = publish.history(stack)
    assert [(e["contract"], e["by"], e["active"]) for e in entries] == [
        (default().version, "shipped with the deploy", False),
        (relaxed.version, "tester", True),
    ]
    # the email format dropped (relaxing) and the version raised (doc): nothing breaks
    assert entries[1]["changes"] == 2 and not entries[1]["breaking"]
    shown = publish.show(stack, default().digest[:8])
    assert (shown["contract"], shown["active"], shown["document"]) == (default().version, False, DEFAULT_TEXT)
    assert publish.show(stack, None)["document"] == RELAXED_TEXT
