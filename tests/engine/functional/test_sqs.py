"""SQS: moto builds every queue attribute on each send, walks the queue per receive and scans it for a receipt
handle; the engine reads the one attribute a send needs, receives from an ordered store and finds a handle by
its index."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from moto.sqs.models import Queue

from salesdq import resources
from salesdq_engine import sqs as sqs_addition


def test_moto_alone_builds_every_queue_attribute_on_each_send(plain_moto):
    assert plain_moto["sqs_builds_per_send"] >= 1


def test_engine_sends_without_building_queue_counts_yet_reports_them(engine, monkeypatch):
    builds = {"n": 0}
    real = Queue.approximate_number_of_messages

    def counting(self: Queue) -> int:
        builds["n"] += 1
        return real.fget(self)

    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(counting))
    sqs = engine.client("sqs")
    url = engine.stack.quarantine_queue_url

    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b1"}, {"Id": "b", "MessageBody": "b2"}])
    assert builds["n"] == 0

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert builds["n"] >= 1
    assert attributes["ApproximateNumberOfMessages"] == "7"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    for name, value in resources.QUARANTINE.attributes.items():
        assert attributes[name] == value
    assert attributes["QueueArn"].endswith(":" + resources.QUARANTINE.name)
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert one == {"VisibilityTimeout": "120"}


# ------------------------------------------------------------------ receive, delete and visibility at scale
# Each script runs in a fresh process, with moto alone or with salesdq_engine.sqs installed where it says
# {install}, on moto's clock set by the script (moto.sqs.models reads it for visibility and delays).

_PRELUDE = """
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
import moto.sqs.models as sqs_models
clock = [1_700_000_000_000.0]
sqs_models.unix_time_millis = lambda dt=None: clock[0]
sqs_models.unix_time = lambda dt=None: clock[0] / 1000
{install}
def advance(seconds):
    clock[0] += seconds * 1000
def code(call):
    try:
        call()
        return "ok"
    except ClientError as error:
        return error.response["Error"]["Code"]
"""

_SCENARIO = (
    _PRELUDE
    + """
out = []
with mock_aws():
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q", Attributes={{"VisibilityTimeout": "30"}})["QueueUrl"]
    def receive(n=10, **kwargs):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, AttributeNames=["All"], **kwargs)
        got = got.get("Messages", [])
        out.append([[m["Body"], m["Attributes"]["ApproximateReceiveCount"]] for m in got])
        return got
    def counts():
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        out.append([a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"],
                    a["ApproximateNumberOfMessagesDelayed"]])
    sqs.send_message_batch(QueueUrl=url, Entries=[{{"Id": str(i), "MessageBody": f"m{{i}}"}} for i in range(10)])
    for i in range(10, 25):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{{i}}")
    sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=5)
    first = receive()
    second = receive()
    counts()
    delete = lambda handle: code(lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=handle))
    out.append([delete(first[0]["ReceiptHandle"]), delete(first[0]["ReceiptHandle"]), delete("not-a-handle")])
    advance(31)  # the holds expire: received again, in order of sending, the delayed one among them
    again = receive()
    out.append(delete(first[1]["ReceiptHandle"]))  # a stale handle (moto accepts one the message had)
    visibility = lambda handle, s: code(lambda: sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=s))
    out.append([visibility(again[2]["ReceiptHandle"], 0), visibility(first[0]["ReceiptHandle"], 0),
                visibility(again[3]["ReceiptHandle"], 50000)])
    receive(1)  # the one made visible at once
    receive(2, VisibilityTimeout=0)  # received and still visible: received twice
    receive(2)
    counts()
    entries = [{{"Id": "a", "ReceiptHandle": again[4]["ReceiptHandle"]}}, {{"Id": "b", "ReceiptHandle": "bad"}},
               {{"Id": "c", "ReceiptHandle": second[0]["ReceiptHandle"]}}]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    out.append([sorted(e["Id"] for e in deleted.get("Successful", [])),
                sorted([e["Id"], e["Code"]] for e in deleted.get("Failed", []))])
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {{"Id": "a", "ReceiptHandle": again[5]["ReceiptHandle"], "VisibilityTimeout": 0}},
        {{"Id": "b", "ReceiptHandle": again[4]["ReceiptHandle"], "VisibilityTimeout": 0}},
        {{"Id": "c", "ReceiptHandle": again[6]["ReceiptHandle"], "VisibilityTimeout": 100}}])
    out.append([sorted(e["Id"] for e in changed.get("Successful", [])),
                sorted([e["Id"], e["Code"]] for e in changed.get("Failed", []))])
    receive()
    advance(101)
    counts()
    held = receive()
    sqs.purge_queue(QueueUrl=url)
    receive()
    out.append([delete(held[0]["ReceiptHandle"]), visibility(held[1]["ReceiptHandle"], 0)])
    sqs.send_message(QueueUrl=url, MessageBody="after purge")
    receive()
    counts()
    # a redrive: past maxReceiveCount a message moves to the dead-letter queue on the next receive
    dead_letters = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(QueueName="src", Attributes={{"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(
        {{"deadLetterTargetArn": arn, "maxReceiveCount": 2}})}})["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    handles = []
    for _ in range(3):
        got = sqs.receive_message(QueueUrl=src).get("Messages", [])
        handles += [m["ReceiptHandle"] for m in got]
        out.append([m["Body"] for m in got])
        advance(6)
    moved = sqs.receive_message(QueueUrl=dead_letters).get("Messages", [])
    out.append([[m["Body"] for m in moved], code(lambda: sqs.delete_message(QueueUrl=src, ReceiptHandle=handles[0]))])
    out.append(code(lambda: sqs.delete_message(QueueUrl=dead_letters, ReceiptHandle=moved[0]["ReceiptHandle"])))
print(json.dumps(out))
"""
)


def _sqs_run(script: str, engine: bool) -> str:
    setup = "from salesdq_engine.sqs import install\ninstall()" if engine else ""
    result = subprocess.run(
        [sys.executable, "-c", script.format(install=setup)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_engine_receives_deletes_and_changes_visibility_as_moto_does():
    moto_alone = json.loads(_sqs_run(_SCENARIO, engine=False))
    assert json.loads(_sqs_run(_SCENARIO, engine=True)) == moto_alone
    bodies = [
        [body for body, _ in step]
        for step in moto_alone
        if isinstance(step, list)
        and step
        and isinstance(step[0], list)
        and len(step[0]) == 2
        and str(step[0][0]).startswith(("m", "late"))
    ]
    assert bodies[0] == [f"m{i}" for i in range(10)]  # first sent, first received
    assert bodies[2][0] == "m1"  # after the holds expired, from the front again (m0 deleted)


_COUNTS = (
    _PRELUDE
    + """
reads = {{"visible": 0, "handles": 0}}
visible = sqs_models.Message.visible
def counting(self):
    reads["visible"] += 1
    return visible.fget(self)
sqs_models.Message.visible = property(counting)
had = sqs_models.Message.had_receipt_handle
def had_counting(self, handle):
    reads["handles"] += 1
    return had(self, handle)
sqs_models.Message.had_receipt_handle = had_counting
out = {{}}
with mock_aws():
    sqs = boto3.client("sqs", region_name="us-east-1")
    for n in ({small}, {large}):
        url = sqs.create_queue(QueueName=f"q{{n}}", Attributes={{"VisibilityTimeout": "600"}})["QueueUrl"]
        for start in range(0, n, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {{"Id": str(i), "MessageBody": str(i)}} for i in range(start, min(start + 10, n))])
        for _ in range({held}):  # messages held (in flight) before the measured receive
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        reads["visible"] = reads["handles"] = 0
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        received = reads["visible"]
        reads["visible"] = reads["handles"] = 0
        sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"], VisibilityTimeout=0)
        out[n] = [received, reads["handles"], [m["Body"] for m in got]]
print(json.dumps(out))
"""
)


def _counts(engine: bool, held: int, small: int = 100, large: int = 1000) -> dict[str, list[Any]]:
    script = _COUNTS.replace("{small}", str(small)).replace("{large}", str(large)).replace("{held}", str(held))
    return json.loads(_sqs_run(script, engine))


def test_moto_alone_walks_every_message_per_receive_and_scans_for_a_handle():
    counts = _counts(engine=False, held=0)
    small, large = counts["100"], counts["1000"]
    assert large[0] >= 10 * small[0] * 0.9 and large[0] > 1000  # a receive reads every message's visibility
    assert large[1] >= 1000 > small[1]  # a delete and a visibility change look through the queue for the handle


def test_engine_receive_and_delete_touch_only_what_they_return_at_any_queue_length():
    for held in (0, 8):  # a fresh queue, and one whose first 80 messages are held (invisible)
        counts = _counts(engine=True, held=held)
        small, large = counts["100"], counts["1000"]
        assert small[2] == large[2] == [str(i) for i in range(10 * held, 10 * held + 10)]
        assert small[0] == large[0] <= 40  # the same few reads for a queue ten times as long
        assert small[1] == large[1] == 0  # the handle found by the index


def test_moto_internals_the_engine_replaces_keep_their_shape():
    import inspect

    from moto.sqs.models import Message, SQSBackend

    receive = inspect.getsource(SQSBackend.receive_message)
    assert "for message in queue.messages:" in receive  # walked lazily by the engine
    assert "queue._messages.remove(message)" in receive  # the redrive, through the store
    assert "message.group_id and queue.fifo_queue" in receive  # groups matter only to a FIFO queue
    assert "self._messages: list[Message] = []" in inspect.getsource(Queue.__init__)
    assert "queue._messages = []" in inspect.getsource(SQSBackend.purge_queue)
    assert "had_receipt_handle" in inspect.getsource(sqs_addition._original_queue_delete_message)
    assert "had_receipt_handle" in inspect.getsource(sqs_addition._original_change_message_visibility)
    assert list(inspect.signature(sqs_addition._original_change_message_visibility).parameters) == [
        "self",
        "queue_name",
        "receipt_handle",
        "visibility_timeout",
    ]
    assert isinstance(inspect.getattr_static(Message, "all_receipt_handles"), property)
    assert {"visible_at", "delayed_until"} <= set(vars(Message("id", "body")))


def test_engine_computes_each_queue_attribute_as_moto_builds_them_all(engine):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    redrive = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:d", "maxReceiveCount": 3})
    engine.client("sqs").create_queue(QueueName="d")  # the redrive target must exist
    for name, attributes in (
        ("std", {}),
        ("full", {"Policy": policy, "RedrivePolicy": redrive, "KmsMasterKeyId": "k", "DelaySeconds": "3"}),
        ("f.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    ):
        queue = Queue(name, "us-east-1", "123456789012", **attributes)
        everything = sqs_addition._original_queue_attributes.fget(queue)
        on_demand = queue.attributes
        assert {key: on_demand[key] for key in everything} == everything
        assert all(key in on_demand for key in everything) and "Nope" not in on_demand
        assert on_demand.get("Nope", "d") == "d"
