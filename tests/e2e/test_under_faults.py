"""Defects found under the faults AWS documents, each pinned by one run through the real workflow on the engine.

Every fault is injected at the engine's boundary (salesdq_engine/faults.py: a FaultPlan, narrowed to the
functions named), or is AWS's own behaviour configured through its API (a reserved concurrency of 0 throttles
every invocation); no code of salesdq is patched to fail. What each run leaves is checked against the oracle
of helpers.py, computed from the input alone.

Lambda crashes are planned at a random AWS call among an invocation's first 21 (faults.CALLS_BEFORE_MAX): a
chunk that makes more calls than that dies in every attempt, and one that makes fewer lives through some. The
files below are shaped by that: their chunks' calls (a lease per distinct slot of the chunk's writers, one
BatchWriteItem per 25 record events, one SendMessageBatch per 10 quarantined records; services/validator) put
the crash where the defect was. Slots and partitions are restated from services/domain/slots.py and
services/ingest/split.py: slot = crc32(order id) % 64, partition = slot % partitions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest

from salesdq import resources
from salesdq.cli import main
from salesdq.errors import OperationFailedError
from salesdq.local import run as local
from salesdq.local.run import export, stack_of
from salesdq.operators import quarantine, redrive, runs
from salesdq.operators.follow import result_of, upload, upload_and_follow, wait_for
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, FaultPlan, lambda_runtime, request_hooks
from services.dal.executions import execution_arn

from .helpers import (
    TERMINAL,
    Expected,
    Oracle,
    Run,
    assert_orders_match,
    canonical,
    free_port,
    local_env,
    order,
    reason_pairs,
    salesdq,
    write_json,
)

# A chunk failing past its retries, and every failed invocation, publish no metric: Powertools warns of that.
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]

VALIDATE = resources.VALIDATE_CHUNK.name
PREPARE = resources.PREPARE.name
FAST = 0.01  # Step Functions' Retry waits, scaled: a test-speed setting that changes no decision
SLOTS = 64
ATTEMPTS = 5  # ValidateChunk's States.ALL retrier: the first attempt and 4 retries (asl/ingest.asl.json)


# ------------------------------------------------------------------------------------------- the input


def _slot(order_id: str) -> int:
    return zlib.crc32(order_id.encode("utf-8")) % SLOTS


def _ids(count: int, prefix: str, wanted: Callable[[int], bool], distinct_slots: bool = False) -> list[str]:
    """`count` order ids `<prefix><n>` whose slot is `wanted`; each in a slot of its own if `distinct_slots`."""
    found: list[str] = []
    slots: set[int] = set()
    n = 0
    while len(found) < count:
        candidate = f"{prefix}{n}"
        slot = _slot(candidate)
        if wanted(slot) and not (distinct_slots and slot in slots):
            found.append(candidate)
            slots.add(slot)
        n += 1
    return found


def _mixed(prefix: str, count: int, quarantine_every: int) -> list[Any]:
    """`count` orders, every `quarantine_every`th invalid (qty 0), then a duplicate and a conflict."""
    records: list[Any] = [order(f"{prefix}{i}", qty=0 if (i + 1) % quarantine_every == 0 else 1) for i in range(count)]
    return [*records, order(f"{prefix}0"), order(f"{prefix}1", item="other")]  # a duplicate, a conflict


def _file(directory: Path, name: str, records: list[Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return write_json(directory, name, {"orders": records})


def _same_bytes_elsewhere(path: Path, directory: Path, name: str | None = None) -> Path:
    """The same file again from another folder, under the same name (so the same inbox key) unless `name`."""
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(path, directory / (name or path.name)))


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------- the engine


@contextlib.contextmanager
def _engine(
    tmp_path: Path,
    rates: dict[str, float],
    *,
    functions: Sequence[str] = (VALIDATE,),
    seed: int = 0,
    scale: float = FAST,
    **options: Any,
) -> Iterator[Engine]:
    """An engine with the plan (narrowed to `functions`) and Retry waits scaled by `scale`."""
    plan = FaultPlan(rates=rates, seed=seed, functions=frozenset(functions))
    with Engine(faults=plan, log_dir=tmp_path / "logs", retry_wait_scale=scale, **options) as engine:
        yield engine


def _follow(engine: Engine, path: Path) -> dict[str, Any]:
    return asdict(upload_and_follow(stack_of(engine), path, Progress()))


def _exported(engine: Engine, out: Path, results: list[dict[str, Any]]) -> Run:
    summary = {"files": results}
    export(engine, out, summary)
    return Run(0, summary, out)


def _events(run: Run, file_id: str) -> list[dict[str, Any]]:
    return [e for e in run.audit if e.get("file_id") == file_id]


def _terminal(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") in TERMINAL]


def _assert_each_record_ends_once(events: list[dict[str, Any]]) -> None:
    by_index: dict[int, list[str]] = defaultdict(list)
    for event in _terminal(events):
        by_index[event["index"]].append(event["outcome"])
    twice = {index: outcomes for index, outcomes in sorted(by_index.items()) if len(outcomes) > 1}
    some = ", ".join(f"#{index}: {' and '.join(outcomes)}" for index, outcomes in list(twice.items())[:3])
    assert not twice, f"{len(twice)} records have more than one terminal event ({some}, ...)"


def _raw_queue(engine: Engine) -> list[dict[str, Any]]:
    """The body of every message in the queue as sent, resends not collapsed (each held, then released)."""
    return [message["body"] for message in stack_of(engine).quarantine().peek()]


def _processing_failed(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        b for b in bodies if b.get("kind") == "record" and any(r["rule"] == "processing_failed" for r in b["reasons"])
    ]


STACK_WAY_OUT = "(upload the file again to continue the run)"
LOCAL_WAY_OUT = "(the engine and its state end with this command: run `salesdq local run` again with the same file)"


def _assert_failed_naming_its_chunk(
    run: Run, result: dict[str, Any], file_id: str, partition: int, error: str, *, local_run: bool = False
) -> None:
    """The execution failed visibly: its file.failed event names the chunk and the error in one line with
    the way out, and the command line says the same; `local run`, whose engine is gone once it exits, gives
    the way out there instead of uploading the file again."""
    assert result["status"] == "failed", result
    assert (result["records"], result["stored"], result["duplicates"], result["quarantined"]) == (0, 0, 0, 0)
    [failure] = [
        e for e in _events(run, file_id) if e["event"] == "file.failed" and e["execution"] == result["execution"]
    ]
    reason = failure["reason"]
    assert f"chunk 0 of partition {partition} (" in reason and "failed after its retries: " in reason, reason
    assert error in reason, reason
    assert reason.endswith(f" {STACK_WAY_OUT}"), reason
    assert "Traceback" not in reason and "\n" not in reason, reason
    said = reason.removesuffix(f" {STACK_WAY_OUT}") + f" {LOCAL_WAY_OUT}" if local_run else reason
    assert result["reason"] == f"RunFailed: {said}"


def _assert_one_run_matching_the_oracle(
    run: Run, result: dict[str, Any], file_id: str, expected: list[Expected]
) -> None:
    """The file completed as one run of it would have: each record ends exactly once, as the oracle says, its
    quarantine item says what its event says, and the file's summary (its file.completed event, and what the command
    line reported) is its record events' count."""
    assert result["status"] == "completed", result
    events = _terminal(_events(run, file_id))
    _assert_each_record_ends_once(events)
    outcomes = {e["index"]: e for e in events}
    assert sorted(outcomes) == list(range(len(expected)))
    got = [Expected(e["outcome"], e["order_id"], reason_pairs(e["reasons"])) for _, e in sorted(outcomes.items())]
    wrong = [(i, want, have) for i, (want, have) in enumerate(zip(expected, got, strict=True)) if want != have]
    assert not wrong, "\n".join(f"#{i}: expected {want}, got {have}" for i, want, have in wrong)
    queued = {m["index"]: m for m in run.record_messages() if m["file_id"] == file_id}
    assert sorted(queued) == [i for i, e in enumerate(expected) if e.outcome == "quarantined"]
    for index, message in queued.items():
        assert reason_pairs(message["reasons"]) == expected[index].reasons, index
    by_outcome = Counter(e["outcome"] for e in events)
    [completed] = [e for e in _events(run, file_id) if e["event"] == "file.completed"]
    summary = (completed["records"], completed["stored"], completed["duplicates"], completed["quarantined"])
    assert summary == (len(events), by_outcome["stored"], by_outcome["duplicate"], by_outcome["quarantined"])
    assert (result["records"], result["stored"], result["duplicates"], result["quarantined"]) == summary


# ------------------------------------------------------------------------------------------- 1


def _dying_late(directory: Path) -> tuple[Path, list[Any]]:
    """One chunk of 340 records whose calls put its marker past the last call a crash may hit (its 22nd): 5
    orders in one slot (one lease), 9 of their records quarantined (one SendMessageBatch), every other one a
    duplicate, 14 BatchWriteItems of record events. Every attempt dies, and most die after writing some
    record events and sending the quarantine messages."""
    ids = _ids(5, "d", lambda slot: slot == 7)
    records: list[Any] = [order(i) for i in ids]
    records += [order(ids[n % 5], qty=0) if n % 40 == 0 else order(ids[n % 5]) for n in range(5, 340)]
    return _file(directory, "sales.json", records), records


DYING_LATE_CHUNK = 400  # records per chunk: the whole file in one chunk, in one partition


def test_a_record_ends_once_when_a_chunk_dies_after_its_record_events_and_before_its_marker(tmp_path: Path) -> None:
    """Every attempt of the file's one chunk dies, some after writing record events and before the marker.
    Once the Catch path (QuarantineChunk) then wrote a second terminal event under a new key (the key held the
    outcome): a record that had ended `duplicate` also ended `quarantined` as processing_failed."""
    path, records = _dying_late(tmp_path / "monday")
    oracle = Oracle()
    expected = oracle.run(records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    file_id = _fingerprint(path)

    with _engine(tmp_path, {"lambda-crash": 1.0}, chunk_records=DYING_LATE_CHUNK, seed=3) as engine:
        failed = _follow(engine, path)
        crashes = engine.faults.injected()["lambda-crash"]
        run = _exported(engine, tmp_path / "failed", [failed])
        with engine.faults.paused():
            retried = _follow(engine, again)
        final = _exported(engine, tmp_path / "out", [failed, retried])

    left = _terminal(_events(run, file_id))
    _assert_each_record_ends_once(left)
    _assert_failed_naming_its_chunk(run, failed, file_id, 0, "Runtime.ExitError")
    assert crashes == ATTEMPTS, "every attempt of the chunk died"
    assert not [e for e in _events(run, file_id) if e["event"] == "chunk.processed"]
    # what the seed must give: an attempt died after writing record events (only validate-chunk writes these)
    assert any(e["outcome"] == "duplicate" for e in left), "no attempt died after writing its record events"

    _assert_one_run_matching_the_oracle(final, retried, file_id, expected)
    assert_orders_match(final, oracle)


# ------------------------------------------------------------------------------------------- 2


class _PauseAfterTheFirst(Progress):
    """The faults pass once the first execution followed has ended (as AWS's throttling passes); the raw
    quarantine queue is read then, and again at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self._paused = contextlib.ExitStack()
        self.after_first: list[dict[str, Any]] | None = None
        self.at_the_end: list[dict[str, Any]] = []

    def grab(self, engine: Engine) -> None:
        self.engine = engine

    def finish(self, label: str) -> None:
        assert self.engine is not None
        if self.after_first is None:
            self.after_first = _raw_queue(self.engine)
            self._paused.enter_context(self.engine.faults.paused())

    def done(self) -> None:
        assert self.engine is not None
        self.at_the_end = _raw_queue(self.engine)
        self._paused.close()


@pytest.mark.parametrize(
    ("fault", "error"),
    [("ddb-throttle", "ProvisionedThroughputExceededException"), ("lambda-throttle", "TooManyRequestsException")],
)
def test_throttling_past_the_retries_fails_the_run_and_quarantines_no_valid_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fault: str, error: str
) -> None:
    """Once every unstored record was quarantined `processing_failed`, the file said `completed`, the command
    exited 0, and uploading it again was a `duplicate`."""
    # Two attempts a call: botocore's legacy default for DynamoDB is 10, ~25 s of backoff a throttled call.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    records = _mixed("t", 20, quarantine_every=5)
    oracle = Oracle()
    expected = oracle.run(records)
    path = _file(tmp_path / "monday", "sales.json", records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    progress = _PauseAfterTheFirst()
    plan = FaultPlan(rates={fault: 1.0}, functions=frozenset({VALIDATE}))
    local_run = local.local_run

    def with_the_faults(paths: Sequence[Path], **options: Any) -> dict[str, Any]:
        # The command line as a user runs it, on an engine with the plan narrowed to validate-chunk (which the
        # --faults option cannot say) and fast Retry waits; the faults pass after the first file.
        options |= {"faults": plan, "retry_wait_scale": FAST, "on_engine": progress.grab, "progress": progress}
        return local_run(paths, **options)

    monkeypatch.setattr(local, "local_run", with_the_faults)
    out = tmp_path / "out"

    rc = main(["local", "run", str(path), str(again), "--json", "--out", str(out), "--progress", "never"])

    summary = json.loads(capsys.readouterr().out)
    run = Run(rc, summary, out)
    failed, retried = run.files
    assert rc == 1, (rc, failed)
    file_id = _fingerprint(path)
    _assert_failed_naming_its_chunk(run, failed, file_id, 0, error, local_run=True)
    assert summary["faults"]["injected"][fault] > 0
    assert progress.after_first == [], "the failed run quarantined records"
    assert _processing_failed(progress.at_the_end) == []
    _assert_one_run_matching_the_oracle(run, retried, file_id, expected)
    assert_orders_match(run, oracle)


# ------------------------------------------------------------------------------------------- 3


def test_no_later_chunk_of_a_partition_runs_after_an_earlier_one_failed(tmp_path: Path) -> None:
    """Order X's first complete record is in chunk 0 of its partition, a conflicting X in chunk 2, with 20
    records of X's slot between them (chunk 1). Chunk 0's writers are in 20 slots of X's partition: every
    attempt dies while taking their leases, before its orders are written, and before the lease of X's slot
    (the highest; leases are taken in slot order), so no later chunk waits on a lease the dead ones hold.
    Once the Catch path quarantined chunk 0 and went on: chunk 2 stored the later X, and first in file order
    no longer won."""
    partitions, chunk_records = 2, 20
    [x] = _ids(1, "x", lambda slot: slot >= SLOTS - partitions)
    home = _slot(x) % partitions
    ours = lambda slot: slot % partitions == home  # noqa: E731
    spread = _ids(chunk_records - 1, "s", lambda slot: ours(slot) and slot < _slot(x), distinct_slots=True)
    between = _ids(chunk_records, "b", lambda slot: slot == _slot(x))
    after = _ids(chunk_records - 1, "a", lambda slot: slot == _slot(x))
    elsewhere = _ids(12, "e", lambda slot: not ours(slot))
    first_x, later_x = order(x, item="first"), order(x, item="later")
    records: list[Any] = [first_x, *map(order, spread), *map(order, between), later_x, *map(order, after)]
    records += [order(i) for i in elsewhere]
    early, later = records.index(first_x), records.index(later_x)
    oracle = Oracle()
    expected = oracle.run(records)
    assert expected[later] == Expected("quarantined", x, frozenset({("order-info.OrderId", "conflict")}))
    path = _file(tmp_path / "monday", "sales.json", records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    file_id = _fingerprint(path)
    # as many partitions as the file's size asks for (services/ingest/split.py partitions_for), capped here
    assert path.stat().st_size / 200 / chunk_records >= partitions

    with _engine(tmp_path, {"lambda-crash": 1.0}, chunk_records=chunk_records, max_partitions=partitions) as engine:
        failed = _follow(engine, path)
        stored_x = stack_of(engine).orders().get(x)
        run = _exported(engine, tmp_path / "failed", [failed])
        with engine.faults.paused():
            retried = _follow(engine, again)
        final = _exported(engine, tmp_path / "out", [failed, retried])

    assert stored_x is None, f"{x} was stored from record {stored_x['_source']}: its first, #{early}, had failed"
    later_chunks = range(early + chunk_records, later + chunk_records)  # chunks 1 and 2 of X's partition
    ran = sorted(e["index"] for e in _terminal(_events(run, file_id)) if e["index"] in later_chunks)
    assert ran == [], f"records {ran[:3]}... of later chunks ended after an earlier chunk of the partition failed"
    _assert_failed_naming_its_chunk(run, failed, file_id, home, "Runtime.ExitError")

    _assert_one_run_matching_the_oracle(final, retried, file_id, expected)
    assert_orders_match(final, oracle)
    stored = final.orders_by_id()[x]
    assert (stored["_source"], stored["order-info"]["item-id"]) == (f"{file_id}#{early}", "first")


# ------------------------------------------------------------------------------------------- 4


class _TakeOvers:
    """Watches, innermost at the request boundary, what reaches DynamoDB of Prepare's claim takeovers: each
    conditional put's answer from DynamoDB itself, before a fault may lose it on the way back."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, request: AWSPreparedRequest, proceed: request_hooks.Proceed) -> request_hooks.Response:
        response = proceed(request)
        if (
            lambda_runtime.current_function() == PREPARE
            and request_hooks.operation_of(request) == "PutItem"
            and "#e = :from" in request_hooks.text(request.body)
            and response is not None
        ):
            with self._lock:
                self.answers.append(response[0])
        return response


def test_a_takeover_whose_reply_was_lost_still_continues_the_failed_run(tmp_path: Path) -> None:
    """The re-upload's takeover of the failed run's claim is applied and its reply lost; botocore sends it
    again. Once that retry failed its own condition (the claim was already its own): the upload was called a
    duplicate, and every later upload of the file stayed one."""
    records: list[Any] = [order(f"k{i}", qty=0 if i % 4 == 3 else 1) for i in range(16)]
    oracle = Oracle()
    expected = oracle.run(records)
    path = _file(tmp_path / "monday", "sales.json", records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    file_id = _fingerprint(path)
    takeovers = _TakeOvers()

    # Only the re-upload draws (the first run's faults are paused), one draw per DynamoDB write of Prepare:
    # with seed 7 its second write, the takeover, loses its reply (asserted below, so a seed that stops doing
    # so is seen).
    with _engine(tmp_path, {"ddb-lost-reply": 0.5}, functions=(PREPARE,), seed=7, chunk_records=4) as engine:
        functions = engine.client("lambda")
        # The first run fails as Lambda fails it: validate-chunk at a reserved concurrency of 0 is throttled.
        functions.put_function_concurrency(FunctionName=VALIDATE, ReservedConcurrentExecutions=0)
        with engine.faults.paused():
            failed = _follow(engine, path)
        functions.put_function_concurrency(
            FunctionName=VALIDATE, ReservedConcurrentExecutions=resources.VALIDATE_CHUNK.reserved_concurrency
        )
        request_hooks.add(takeovers)
        try:
            retried = _follow(engine, again)
        finally:
            request_hooks.remove(takeovers)
        lost = engine.faults.injected()["ddb-lost-reply"]
        run = _exported(engine, tmp_path / "out", [failed, retried])

    _assert_failed_naming_its_chunk(run, failed, file_id, 0, "TooManyRequestsException")
    assert takeovers.answers[:1] == [200] and len(takeovers.answers) >= 2 and lost, (
        f"the takeover's reply was not lost (DynamoDB answered {takeovers.answers}): choose another seed"
    )
    _assert_one_run_matching_the_oracle(run, retried, file_id, expected)
    assert_orders_match(run, oracle)
    [retry] = [e for e in _events(run, file_id) if e["event"] == "file.retried"]
    assert (retry["failed_execution"], retry["execution"]) == (failed["execution"], retried["execution"])


# ------------------------------------------------------------------------------------------- 5

FILES_DELIVERED_TWICE = 10  # each follower meets its upload's duplicate first half the time: 1 in 1,024 never


def test_a_doubly_delivered_upload_reports_the_run_that_did_the_work(tmp_path: Path) -> None:
    """Each upload starts two executions; the second answers for nothing and names the first (once it was a
    `duplicate` of it). Once the follower reported whichever it found first: half the files said `duplicate`
    of themselves, with 0 records."""
    oracle = Oracle()
    files = []
    for n in range(FILES_DELIVERED_TWICE):
        records: list[Any] = [order(f"u{n}-{i}", qty=0 if i == 2 else 1) for i in range(3)] + [order(f"u{n}-0")]
        files.append((_file(tmp_path / "in", f"day{n}.json", records), oracle.run(records)))

    summary = local.local_run(
        [p for p, _ in files],
        out=tmp_path / "out",
        progress=Progress(),
        faults=FaultPlan(rates={"event-duplicate": 1.0}),
        retry_wait_scale=FAST,
    )

    run = Run(0, summary, tmp_path / "out")
    assert summary["faults"]["injected"]["event-duplicate"] == FILES_DELIVERED_TWICE
    said = Counter(r["status"] for r in run.files)
    assert said == {"completed": FILES_DELIVERED_TWICE}, said
    for result, (path, expected) in zip(run.files, files, strict=True):
        _assert_one_run_matching_the_oracle(run, result, _fingerprint(path), expected)
    assert_orders_match(run, oracle)
    holders = {e["execution"] for e in run.audit if e.get("event") == "file.completed"}
    assert {r["execution"] for r in run.files} == holders


def _command(shell: dict[str, str], *argv: str) -> str:
    """What a `salesdq` command printed, in a process of its own; exit 0."""
    done = salesdq(shell, *argv)
    assert done.returncode == 0, (argv, done.stderr)
    return done.stdout


def test_a_doubly_delivered_upload_is_one_run_in_runs_and_report(tmp_path: Path) -> None:
    """Every upload's event is delivered twice. Once the second execution found the claim taken and wrote a
    `file.duplicate`: `runs` and `report` showed each upload as two runs (a `duplicate`, then the run), report
    Files 2 for one upload. The same bytes uploaded again to the same key once the run completed are a new
    upload: one `duplicate` run, however often its event is delivered."""
    first: list[Any] = [order(f"w{i}", qty=0 if i == 1 else 1) for i in range(5)]
    second: list[Any] = [order(f"v{i}") for i in range(3)]
    oracle = Oracle()
    outcomes = [oracle.run(first), oracle.run(second)]
    paths = [_file(tmp_path / "in", "monday.json", first), _file(tmp_path / "in", "tuesday.json", second)]
    truncated = tmp_path / "in" / "cut.json"
    truncated.write_bytes(json.dumps({"orders": second}).encode("utf-8")[:40])
    again = _same_bytes_elsewhere(paths[0], tmp_path / "again")  # the same key, after its run completed
    key = resources.INCOMING_PREFIX
    # the oracle, from the input alone: one run a upload, each upload's status and records
    expected = [
        (key + "monday.json", "completed", len(first)),
        (key + "tuesday.json", "completed", len(second)),
        (key + "cut.json", "rejected", 0),
        (key + "monday.json", "duplicate", 0),
    ]
    port = free_port()
    with _engine(tmp_path, {"event-duplicate": 1.0}, port=port) as engine:
        said = [_follow(engine, path) for path in [*paths, truncated, again]]
        delivered_twice = engine.faults.injected()["event-duplicate"]
        shell = {**os.environ, **local_env(port)}  # the operator's, once the stack is up
        listed, report = (json.loads(_command(shell, name, "--json")) for name in ("runs", "report"))

    assert delivered_twice == len(expected), "an upload was not delivered twice"
    assert [(r["file"], r["status"], r["records"]) for r in said] == [
        (str(p), status, records) for p, (_, status, records) in zip([*paths, truncated, again], expected, strict=True)
    ]
    for result, want in zip(said[:2], outcomes, strict=True):  # the completed runs' counts
        by = Counter(e.outcome for e in want)
        assert (result["stored"], result["duplicates"], result["quarantined"]) == (
            by["stored"],
            by["duplicate"],
            by["quarantined"],
        )
    runs_seen = sorted((r["file"], r["status"], r["records"]) for r in listed)
    assert runs_seen == sorted(expected), f"runs: {runs_seen}"
    rows = sorted((f["file"], f["status"], f["records"]) for f in report["files"])
    assert rows == sorted(expected), f"report: {rows}"
    assert report["totals"]["files"] == len(expected)


# ------------------------------------------------------------------------------------------- 6


@pytest.mark.parametrize(
    "retried_as",
    ["sales.json", "sales-fixed.json"],
)
def test_every_copy_of_a_quarantined_record_in_the_quarantine_queue_says_the_same(
    tmp_path: Path, retried_as: str
) -> None:
    """The chunk of _dying_late sends its quarantined records and dies, in attempt after attempt; the retried
    run sends them again. Once the Catch path then sent every unstored record as `processing_failed`, at the
    same attempt: copies of one record that disagree, so which one a reader keeps depends on when it reads."""
    path, records = _dying_late(tmp_path / "monday")
    expected = Oracle().run(records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday", retried_as)
    file_id = _fingerprint(path)

    with _engine(tmp_path, {"lambda-crash": 1.0}, chunk_records=DYING_LATE_CHUNK, seed=5) as engine:
        failed = _follow(engine, path)
        with engine.faults.paused():
            retried = _follow(engine, again)
        raw = [body for body in _raw_queue(engine) if body.get("file_id") == file_id]
        run = _exported(engine, tmp_path / "out", [failed, retried])

    assert max(Counter(b["id"] for b in raw).values()) > 1, "no chunk attempt died after sending: nothing resent"
    copies: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for body in raw:
        copies[body["id"]][int(body["attempt"])].add(canonical(body))
    disagree = sorted(
        (int(quarantine_id.rsplit(":", 1)[1]), attempt, len(bodies))
        for quarantine_id, by_attempt in copies.items()
        for attempt, bodies in by_attempt.items()
        if len(bodies) > 1
    )
    some = ", ".join(f"#{index} at attempt {attempt}: {n} versions" for index, attempt, n in disagree[:3])
    assert not disagree, f"{len(disagree)} records have copies at one attempt that disagree ({some}, ...)"
    assert _processing_failed(raw) == []
    _assert_failed_naming_its_chunk(run, failed, file_id, 0, "Runtime.ExitError")
    _assert_one_run_matching_the_oracle(run, retried, file_id, expected)


def test_the_quarantine_view_is_exact_when_the_queue_holds_copies_and_a_sweep_leaves_one_each(tmp_path: Path) -> None:
    """SendMessageBatch replies are lost (applied, then 500: botocore sends the batch again), and chunks die
    after sending. The queue is at-least-once: it holds copies of some quarantined records (docs/operations.md
    says so). The quarantine view, what `quarantine list`, `quarantine export` and redrive read, holds each
    quarantined record once, as the oracle says; so does a reader that collapses by id; and `salesdq quarantine
    sweep` leaves the queue one message per quarantined record."""
    records: list[Any] = [order(f"q{i}", qty=0 if i % 2 == 0 else 1) for i in range(60)]
    expected = Oracle().run(records)
    quarantined = {i: e for i, e in enumerate(expected) if e.outcome == "quarantined"}
    path = _file(tmp_path / "monday", "sales.json", records)
    file_id = _fingerprint(path)
    ids = {f"{file_id}:{index}" for index in quarantined}

    with _engine(tmp_path, {"sqs-lost-reply": 0.5, "lambda-crash": 0.2}, chunk_records=6, seed=11) as engine:
        result = _follow(engine, path)
        lost = engine.faults.injected()["sqs-lost-reply"]
        stack = stack_of(engine)
        raw = _raw_queue(engine)
        view = list(stack.quarantined().items())
        collapsed = stack.quarantine().items()
        swept = quarantine.sweep(stack)
        after = _raw_queue(engine)

    assert result["status"] == "completed", result
    assert lost > 0, "no SendMessageBatch reply was lost"
    copies = Counter(str(b["id"]) for b in raw)
    assert set(copies) == ids
    assert max(copies.values()) > 1, "no copy in the queue: the fault did not show at-least-once delivery"
    for body in raw:  # a copy is the same message: any of them is the record's
        index = int(body["index"])
        assert (body["order_id"], reason_pairs(body["reasons"])) == (
            quarantined[index].order_id,
            quarantined[index].reasons,
        )
    assert sorted(str(item["id"]) for item in view) == sorted(ids)  # the view: one item per quarantined record
    for item in view:
        want = quarantined[int(item["index"])]
        assert sorted(item["rules"]) == sorted({rule for _, rule in want.reasons}), item["id"]
    assert sorted(str(m["body"]["id"]) for m in collapsed) == sorted(ids)
    assert swept["deleted"] == len(raw) - len(ids), (len(raw), len(ids))
    assert sorted(str(b["id"]) for b in after) == sorted(ids)  # after the sweep: each record once


# ------------------------------------------------------------------------------------------- 7

REFUSED_BOUND_S = 20.0  # the run fails in about a second; resending the refused entry forever never ends


def test_a_message_sqs_refuses_for_good_fails_the_chunk_at_once_and_the_run_in_bounded_time(tmp_path: Path) -> None:
    """SQS refuses one entry of every batch for good (SenderFault). Once the refused entry was resent forever:
    the chunk never ended and neither did the run."""
    records: list[Any] = [order(f"r{i}", qty=0 if i % 3 == 0 else 1) for i in range(12)]
    path = _file(tmp_path / "monday", "sales.json", records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    expected = Oracle().run(records)

    with _engine(tmp_path, {"sqs-refused": 1.0}, chunk_records=100) as engine:
        stack = stack_of(engine)
        began = time.monotonic()
        uploaded = upload(stack, path)
        [arn] = stack.executions().arns(stack.state_machine_arn)
        assert uploaded.started(stack.executions().describe(arn)["input"])
        description = wait_for(stack.executions(), arn, Progress(), timeout_s=REFUSED_BOUND_S)
        took = time.monotonic() - began
        failed = asdict(result_of(str(path), description))
        refused = engine.faults.injected()["sqs-refused"]
        history = engine.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
        with engine.faults.paused():
            retried = _follow(engine, again)
        run = _exported(engine, tmp_path / "out", [failed, retried])

    assert took < REFUSED_BOUND_S
    refusal = "MessageRefusedError: SQS refused a message for good: InvalidMessageContents"
    _assert_failed_naming_its_chunk(run, failed, _fingerprint(path), 0, refusal)
    assert refused == ATTEMPTS, f"{refused} batches were refused: one a try, {ATTEMPTS} tries"
    # as on AWS, the failed child fails the Distributed Map (no tolerated failures), whose Catch records the
    # run's failure: Finalize is never reached (on moto alone the Map succeeded and Finalize refused)
    map_run_errors = [e["mapRunFailedEventDetails"].get("error") for e in history if e["type"] == "MapRunFailed"]
    assert map_run_errors == ["States.ExceedToleratedFailureThreshold"], map_run_errors
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert "Finalize" not in entered and "RecordRunFailure" in entered, entered
    _assert_one_run_matching_the_oracle(run, retried, _fingerprint(path), expected)


# ------------------------------------------------------------------------------------------- 8


def test_two_versions_uploaded_to_one_key_at_once_are_each_processed_as_uploaded(tmp_path: Path) -> None:
    """Two different files are put to the same inbox key before either execution reads it: Prepare is
    throttled until both puts are done (an invocation before the faults pause is throttled and retried, one
    after comes after both puts). Once both executions read the key's latest version: the first upload's
    records were never read, and its execution called the second upload's bytes a duplicate."""
    east: list[Any] = [order(f"east{i}", qty=0 if i == 3 else 1) for i in range(6)]
    west: list[Any] = [order(f"west{i}", item="W", qty=0 if i == 1 else 1) for i in range(9)]
    oracle = Oracle()
    files = [(_file(tmp_path / "east", "sales.json", east), oracle.run(east))]
    files.append((_file(tmp_path / "west", "sales.json", west), oracle.run(west)))

    # Prepare's Retry of a throttle waits 1, 2, 4... s, scaled by 0.1 here: the puts end well within the first.
    with _engine(tmp_path, {"lambda-throttle": 1.0}, functions=(PREPARE,), scale=0.1) as engine:
        stack = stack_of(engine)
        uploads = [upload(stack, path) for path, _ in files]
        with engine.faults.paused():
            arns = stack.executions().arns(stack.state_machine_arn)
            assert len(arns) == 2 and len({u.version_id for u in uploads}) == 2 and uploads[0].key == uploads[1].key
            descriptions = {}
            for arn in arns:
                description = wait_for(stack.executions(), arn, Progress(), timeout_s=120)
                [mine] = [i for i, u in enumerate(uploads) if u.started(description["input"])]
                descriptions[mine] = description
            results = [asdict(result_of(str(path), descriptions[i])) for i, (path, _) in enumerate(files)]
        run = _exported(engine, tmp_path / "out", results)

    for (path, expected), result in zip(files, results, strict=True):
        file_id = _fingerprint(path)
        assert result["status"] == "completed", result
        _assert_one_run_matching_the_oracle(run, result, file_id, expected)
    assert_orders_match(run, oracle)
    for path, records in ((files[0][0], east), (files[1][0], west)):
        file_id = _fingerprint(path)
        mine = {o["OrderId"] for o in run.orders if o["_source"].startswith(file_id)}
        assert mine == {r["order-info"]["OrderId"] for r in records if r["order-info"]["qty"] == 1}


# ------------------------------------------------------------------------------------------- 9


def test_a_run_whose_finalize_dies_after_writing_its_completion_has_one_status_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write of Finalize is applied and its reply lost, in every attempt: its `file.completed` is in the
    log, and Finalize never returns. Once the execution then failed ("upload the file again") while `runs` and
    `report` said `completed`, and `runs retry` refused a run the command line called failed."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # botocore's own resends of a lost reply: two, not ten
    records = _mixed("f", 12, quarantine_every=4)
    oracle = Oracle()
    expected = oracle.run(records)
    path = _file(tmp_path / "monday", "sales.json", records)
    again = _same_bytes_elsewhere(path, tmp_path / "tuesday")
    file_id = _fingerprint(path)

    with _engine(tmp_path, {"ddb-lost-reply": 1.0}, functions=(resources.FINALIZE.name,)) as engine:
        stack = stack_of(engine)
        result = _follow(engine, path)
        lost = engine.faults.injected()["ddb-lost-reply"]
        arn = execution_arn(stack.state_machine_arn, str(result["execution"]))
        execution = stack.executions().describe(arn)["status"]
        [listed] = [r for r in runs.file_runs(stack) if r.run.file_id == file_id]
        refusal = ""
        try:
            runs.retry(stack, file_id)
        except OperationFailedError as error:
            refusal = str(error)
        with engine.faults.paused():
            second = _follow(engine, again)
        run = _exported(engine, tmp_path / "out", [result, second])

    assert lost > 1, "Finalize's writes were not lost in every attempt"
    _assert_one_run_matching_the_oracle(run, result, file_id, expected)
    assert_orders_match(run, oracle)
    # the same status wherever it is read: the command line, Step Functions, `runs` (and `report`, which folds
    # the same events), `runs retry`, and the same bytes uploaded again
    assert (result["status"], execution, listed.status) == ("completed", "SUCCEEDED", "completed")
    assert (listed.records, listed.stored, listed.duplicates, listed.quarantined) == (
        result["records"],
        result["stored"],
        result["duplicates"],
        result["quarantined"],
    )
    assert "is completed, not failed" in refusal, refusal
    assert second["status"] == "duplicate", second
    assert not [e for e in _events(run, file_id) if e["event"] == "file.failed"]


# ------------------------------------------------------------------------------------------- 10

REDRIVE = resources.REDRIVE.name
KILLED = "Runtime exited with error: signal: killed"  # what a planned crash of lambda_runtime reports


class _RedriveDies:
    """The redrive function dies at its `nth` call of `operation`, as a planned crash kills a function
    (lambda_runtime: Running.stop, Runtime.ExitError, its environment discarded): `before` the call reaches
    AWS, or just after AWS applied it (its reply never reaches the function). Once."""

    def __init__(self, operation: str, nth: int, before: bool) -> None:
        self.operation, self.nth, self.before = operation, nth, before
        self.seen = 0
        self.fired = False

    def __call__(self, request: AWSPreparedRequest, proceed: request_hooks.Proceed) -> request_hooks.Response:
        running = lambda_runtime.current()
        if running is None or running.config.name != REDRIVE or self.fired:
            return proceed(request)
        if request_hooks.operation_of(request) != self.operation:
            return proceed(request)
        self.seen += 1
        if self.seen < self.nth:
            return proceed(request)
        self.fired = True
        if self.before:
            running.stop(lambda_runtime.CRASHED, KILLED)
            running.raise_if_stopped()
        response = proceed(request)
        running.stop(lambda_runtime.CRASHED, KILLED)
        return response


FIXED = 8  # quarantined records, each corrected


def _index(event: dict[str, Any]) -> int:
    return int(event["index"])


@pytest.mark.parametrize("edited", [False, True], ids=["sent-again", "edited-and-sent-again"])
@pytest.mark.parametrize(
    ("operation", "nth", "before"),
    [("StartExecution", 1, False), ("StartExecution", 1, True), ("UpdateItem", 2, True)],
    ids=["after-its-execution-started", "as-it-starts-its-execution", "at-its-second-item-update"],
)
def test_a_redrive_that_dies_and_is_sent_again_redrives_each_record_once(
    tmp_path: Path, operation: str, nth: int, before: bool, edited: bool
) -> None:
    """The redrive function dies partway through its request, and the command says to send the file again.
    Once the records its first call had started (or marked) were redriven again by the second: each stored
    and also `duplicate`, their items resolved `duplicate`, and the file's accounts counting them twice. Sent
    again, edited or not, the second call finds the first one's batch and follows it: each record ends once,
    stored as the first call sent it; an edited line is refused, saying a redrive of its record is in progress."""
    records: list[Any] = [order(f"z{i}", qty=0) for i in range(FIXED)] + [order("y0"), order("y1")]
    oracle = Oracle()
    expected = oracle.run(records)
    assert [e.outcome for e in expected] == ["quarantined"] * FIXED + ["stored"] * 2
    fixes = [order(f"z{i}", qty=1) for i in range(FIXED)]
    assert [e.outcome for e in oracle.run(fixes)] == ["stored"] * FIXED  # what the first call sends
    path = _file(tmp_path / "monday", "sales.json", records)
    file_id = _fingerprint(path)
    dies = _RedriveDies(operation, nth, before)

    with _engine(tmp_path, {}, functions=()) as engine:
        stack = stack_of(engine)
        uploaded = _follow(engine, path)
        ids = {b["order_id"]: b["id"] for b in quarantine.quarantined_items(stack)}
        first = [{"id": ids[f"z{i}"], "record": fix, "attempt": 1} for i, fix in enumerate(fixes)]
        request_hooks.add(dies)
        try:
            with pytest.raises(OperationFailedError, match=r"Runtime\.ExitError"):
                redrive.send_corrections(stack, first)
        finally:
            request_hooks.remove(dies)
        assert dies.fired
        again = [dict(line) for line in first]
        if edited:
            again[0]["record"] = order("z0", qty=1, item="edited")
        sent = redrive.send_corrections(stack, again)
        batches = redrive.wait_for_batches(stack, sent, Progress())
        items = {i["id"]: i for i in stack.quarantined().items(status=None) if i["file_id"] == file_id}
        run = _exported(engine, tmp_path / "out", [uploaded, *(asdict(b) for b in batches)])

    assert [b.status for b in batches] == ["completed"], batches
    assert sent["redriven"] == []  # every record is the first call's
    assert {a["outcome"] for a in sent["already"]} == {"in progress"}
    refused = [(r["id"], r["error"]) for r in sent["refused"]]
    assert refused == ([(ids["z0"], "in_progress")] if edited else [])
    arrived = _terminal(_events(run, file_id))  # the upload's own outcomes, as the oracle says
    _assert_each_record_ends_once(arrived)
    got = [Expected(e["outcome"], e["order_id"], reason_pairs(e["reasons"])) for e in sorted(arrived, key=_index)]
    assert got == expected
    assert_orders_match(run, oracle)
    by_order: dict[str, list[str]] = defaultdict(list)
    for event in run.audit:
        if event.get("event", "").startswith("record.") and str(event.get("order_id", "")).startswith("z"):
            by_order[event["order_id"]].append(event["event"])
    want = ["record.quarantined", "record.redriven", "record.stored"]
    assert {oid: chain for oid, chain in by_order.items() if chain != want} == {}
    assert sorted(by_order) == sorted(f"z{i}" for i in range(FIXED))
    assert {(i["status"], i.get("outcome")) for i in items.values()} == {("resolved", "stored")}
    accounts = [e for e in run.audit if e.get("event") == "file.redriven" and e.get("file_id") == file_id]
    assert (sum(e["redriven"] for e in accounts), sum(e["resolved"] for e in accounts)) == (FIXED, FIXED)
