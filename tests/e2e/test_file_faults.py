"""Files that cannot be read as sales records: rejected whole, kept, explained, and nothing of them stored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import local_run
from salesdq.operators.progress import Progress
from salesdq_engine import Engine

from .helpers import order, read_jsonl, write_bytes

pytestmark = pytest.mark.e2e

_GOOD = json.dumps(order("1")).encode()
# complete records well past the reader's 64 KiB head, so a late fault comes after records were chunked
_MANY = b",".join(json.dumps(order(str(i), note="x" * 100)).encode() for i in range(400))
assert len(_MANY) > 80_000

# name, bytes, a phrase the reason must contain
FAULTS: list[tuple[str, bytes, str]] = [
    ("latin1.json", b'{"orders": [{"order-info": {"OrderId": "1", "item-id": "caf\xe9"}}]}', "not UTF-8"),
    ("latin1-late.json", b'{"orders": [' + _MANY + b', {"note": "caf\xe9"}]}', "not UTF-8"),
    ("utf16.json", json.dumps({"orders": [order("1")]}).encode("utf-16"), "not UTF-8"),
    ("prose.json", b"these are the orders for monday", "not valid JSON"),
    ("prose.jsonl", b"these are the orders\nfor monday\n", "not JSON Lines: none of its lines is a JSON value"),
    ("garbage-inside.json", b'{"orders": [' + _GOOD + b", oops]}", "not valid JSON"),
    ("broken-concatenated.json", _GOOD + b"\n{not json}\n" + _GOOD + b"\n", "not valid JSON (line 2, column 2"),
    ("garbage-late.json", b"[" + _MANY + b", {oops}]", "not valid JSON"),
    ("double-bom.json", b"\xef\xbb\xbf\xef\xbb\xbf" + b'{"orders": []}', "not valid JSON"),
    ("truncated.json", b'{"orders": [' + _GOOD + b', {"order-info": {"Orde', "truncated"),
    ("truncated-late.json", b'{"orders": [' + _MANY, "truncated"),
    ("truncated-array.json", b"[" + _GOOD, "truncated"),
    ("number.json", b"42", "top level is a number"),
    ("string.json", b'"orders"', "top level is a string"),
    ("null.json", b"null", "top level is null"),
    ("no-orders-key.json", b'{"sales": [' + _GOOD + b"]}", 'no "orders" key'),
    ("orders-object.json", b'{"orders": {"order-info": {}}}', '"orders" is an object, not a list'),
    ("orders-string.json", b'{"batch": 1, "orders": "none today"}', '"orders" is a string, not a list'),
    ("orders-null.json", b'{"orders": null}', '"orders" is null, not a list'),
    ("orders-twice.json", b'{"orders": [' + _MANY + b'], "orders": [' + _GOOD + b"]}", '"orders" more than once'),
    ("orders-twice-later.json", b'{"n": 1, "orders": [' + _GOOD + b'], "orders": []}', '"orders" more than once'),
    ("empty.json", b"", "empty"),
    ("empty.jsonl", b"", "empty"),
    ("blank.json", b" \n\t\r\n ", "only whitespace"),
    ("no-records.json", b'{"orders": []}', "no records"),
    ("empty-array.json", b"[]", "no records"),
    ("nan.json", b"[" + _GOOD + b', {"n": NaN}]', "JSON has no NaN; write null or a string"),
    ("garbage-late-named.json", b"[" + _MANY + b",\n {oops}]", "line 2, column 3"),
    ("huge-number.json", b"[" + _GOOD + b', {"n": ' + b"9" * 10_001 + b"}]", "more than 10,000 digits (line 1,"),
    ("deep.json", b"[" + _GOOD + b", " + b"[" * 200 + b"]" * 200 + b"]", "more than 100 levels deep"),
    ("control-character.json", b'[{"name": "a\tb"}]', "a control character in a string"),
]
IDS = [name for name, _, _ in FAULTS]


def _readable(reason: str) -> None:
    assert reason and len(reason) < 200, reason
    assert reason == reason.strip() and "\n" not in reason
    for internal in ("Traceback", "Error(", "ijson", "yajl", "b'", "Exception"):
        assert internal not in reason, reason


@pytest.mark.parametrize(("name", "data", "phrase"), FAULTS, ids=IDS)
def test_a_bad_file_is_rejected_with_a_reason_and_nothing_of_it_is_stored(run_cli, data_dir, name, data, phrase):
    path = write_bytes(data_dir, name, data)
    fingerprint = hashlib.sha256(data).hexdigest()
    kept = f"quarantine/files/{fingerprint}/{name}"

    run = run_cli([path])

    assert run.rc == 1
    [result] = run.files
    assert result["status"] == "rejected"
    assert (result["records"], result["stored"], result["duplicates"], result["quarantined"]) == (0, 0, 0, 0)
    assert phrase in result["reason"], result["reason"]
    _readable(result["reason"])
    assert run.summary["totals"]["rejected"] == 1

    assert run.orders == []
    assert run.terminal_events() == []
    assert not run.file_events("file.accepted") and not run.file_events("file.completed")
    [message] = run.quarantine
    assert message["kind"] == "file"
    assert message["file"].endswith(name) and message["file_id"] == fingerprint
    assert message["quarantined_key"] == kept
    assert [r["message"] for r in message["reasons"]] == [result["reason"]]
    [event] = run.file_events("file.rejected", name)
    assert event["reason"] == result["reason"]
    assert event["quarantined_key"] == kept
    assert event["file_id"] == fingerprint


class _Snapshot(Progress):
    """Progress that, when the last file is done (the engine still up), lists what the bucket holds."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.objects: dict[str, bytes] = {}

    def grab(self, engine: Engine) -> None:
        self.engine = engine

    def done(self) -> None:
        assert self.engine is not None and self.engine.stack is not None
        s3 = self.engine.client("s3")
        bucket = self.engine.stack.bucket
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                self.objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        super().done()


def test_every_rejected_file_is_kept_byte_for_byte_in_the_quarantine_prefix(tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    paths = [write_bytes(data_dir, name, data) for name, data, _ in FAULTS]
    good = write_bytes(data_dir, "good.json", b"[" + _GOOD + b"]")
    snapshot = _Snapshot()

    summary: dict[str, Any] = local_run(
        [*paths, good], out=tmp_path / "out", progress=snapshot, chunk_records=50, on_engine=snapshot.grab
    )

    assert [f["status"] for f in summary["files"]] == ["rejected"] * len(FAULTS) + ["completed"]
    kept = {k: v for k, v in snapshot.objects.items() if k.startswith("quarantine/files/")}
    expected = {f"quarantine/files/{hashlib.sha256(data).hexdigest()}/{name}": data for name, data, _ in FAULTS}
    # empty.json and empty.jsonl share a fingerprint, not a name: both are kept
    assert kept == expected
    # the uploads themselves are still where the user put them
    for name, data, _ in FAULTS:
        assert snapshot.objects[f"incoming/{name}"] == data
    # nothing staged for a rejected file survives its rejection
    rejected_runs = {f["execution"] for f in summary["files"] if f["status"] == "rejected"}
    leftovers = [k for k in snapshot.objects if k.startswith("staging/") and k.split("/")[1] in rejected_runs]
    assert leftovers == []
    orders = read_jsonl(tmp_path / "out" / "orders.jsonl")
    assert [o["OrderId"] for o in orders] == ["1"]
    file_messages = [m for m in read_jsonl(tmp_path / "out" / "quarantine.jsonl") if m["kind"] == "file"]
    assert sorted(m["quarantined_key"] for m in file_messages) == sorted(expected)


def test_a_rejected_file_sent_again_is_rejected_again_not_a_duplicate(run_cli, data_dir):
    bad = write_bytes(data_dir, "bad.json", b'{"orders": 5}')
    again = write_bytes(data_dir, "bad-again.json", b'{"orders": 5}')

    run = run_cli([bad, again])

    assert run.rc == 1
    assert [f["status"] for f in run.files] == ["rejected", "rejected"]
    assert len(run.file_messages()) == 2 and len(run.file_events("file.rejected")) == 2


def test_two_different_rejected_files_of_the_same_name_are_both_kept(tmp_path: Path):
    """quarantine/files/<sha256>/<name>: the fingerprint must be of the file's bytes, or copies collide."""
    first_dir, second_dir = tmp_path / "monday", tmp_path / "tuesday"
    first_dir.mkdir()
    second_dir.mkdir()
    first = write_bytes(first_dir, "orders.json", b"\xff\xfe monday's export, not UTF-8")
    second = write_bytes(second_dir, "orders.json", b"\xff\xfe tuesday's export, not UTF-8 either")
    snapshot = _Snapshot()

    summary = local_run([first, second], out=None, progress=snapshot, on_engine=snapshot.grab)

    assert [f["status"] for f in summary["files"]] == ["rejected", "rejected"]
    kept = {k: v for k, v in snapshot.objects.items() if k.startswith("quarantine/files/")}
    assert sorted(kept.values()) == sorted([first.read_bytes(), second.read_bytes()]), "a rejected file was lost"
