"""SQS: moto builds every queue attribute on each send; the engine reads the one a send needs."""

from __future__ import annotations

from moto.sqs.models import Queue

from salesdq import resources


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
    url = engine.stack.queue_url

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
