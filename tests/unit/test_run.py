"""One run identity (services/domain/run.py): one value, one serialized form, and the keys existing logs hold."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from salesdq.operators.run_summaries import fold_runs
from services.domain import audit_events, quarantine_message
from services.domain.active_contract import ContractRef, version_key
from services.domain.audit_events import EventKind
from services.domain.payloads import ChunkJob, FileJob, FileRun, InvalidPayloadError, RunFailure
from services.domain.run import Run
from services.redrive.redrive import Correction, corrections_of

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = {"file_id", "at", "execution"}
STARTED = "2026-01-02T03:04:05.678Z"  # `$$.Execution.StartTime` as Step Functions gives it
FILE_ID = "ab" * 32
RUN = Run(file_id=FILE_ID, file="incoming/day.json", id=STARTED, execution="exec-1")


def _declarations(path: Path) -> list[str]:
    """Classes whose fields, and functions whose parameters, name a run's identity field by field."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            names = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
        else:
            continue
        if names >= IDENTITY:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return found


def test_no_module_outside_the_run_identity_declares_file_id_at_and_execution_together() -> None:
    paths = [p for package in ("services", "salesdq") for p in sorted((ROOT / package).rglob("*.py"))]
    paths = [p for p in paths if "engine" not in p.relative_to(ROOT).parts and p != ROOT / "services/domain/run.py"]
    assert len(paths) > 50  # the scan saw the code
    assert [d for p in paths for d in _declarations(p)] == []


def test_a_runs_id_is_its_stored_at_byte_for_byte_and_its_time_a_time() -> None:
    assert RUN.started == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert RUN.day == "2026-01-02"
    # the key formats every existing log holds (services/domain/audit_events.py's docstring)
    record = audit_events.record_event(run=RUN, index=7, outcome="stored", order_id="A1", reasons=[])
    assert (record["sk"], record["at"], record["execution"]) == (f"{STARTED}#{FILE_ID}#000000007", STARTED, "exec-1")
    marker = audit_events.chunk_event(run=RUN, partition=2, chunk=3, outcomes=[[0, "stored"]])
    assert (marker["sk"], marker["at"]) == (f"CHUNK#{STARTED}#00002#0000003", STARTED)
    failed = audit_events.chunk_failure(run=RUN, partition=2, chunk=3, key="k", reason="r")
    assert failed["sk"] == f"FAILED#{STARTED}#00002#0000003"
    completed = audit_events.file_event(run=RUN, kind=EventKind.FILE_COMPLETED)
    assert (completed["sk"], completed["day"], completed["at"], completed["file"]) == (
        f"EVENT#{STARTED}#file.completed",
        "2026-01-02",
        STARTED,
        "incoming/day.json",
    )
    message, _ = quarantine_message.for_record(
        run=RUN, index=4, order_id=None, reasons=[], attempt=1, record={}, bucket="b"
    )
    assert (message["id"], message["at"]) == (f"{FILE_ID}:4", STARTED)


JUDGED_BY = ContractRef(version="2.1.0+" + "c" * 12, digest="c" * 64, key=version_key("c" * 64))


def test_a_run_has_one_serialized_form_and_a_claim_reads_back_as_its_run() -> None:
    update = {"id": "2026-01-03T00:00:00.000Z", "execution": "replay-1", "replay_of": RUN, "contract": JUDGED_BY}
    replay = RUN.model_copy(update=update)
    payload = replay.to_payload()
    assert payload == {
        "file_id": FILE_ID,
        "file": "incoming/day.json",
        "at": "2026-01-03T00:00:00.000Z",
        "execution": "replay-1",
        "replay_of": {
            "file_id": FILE_ID,
            "file": "incoming/day.json",
            "at": STARTED,
            "execution": "exec-1",
            "replay_of": None,
            "contract": None,
        },
        "contract": {"version": "2.1.0+" + "c" * 12, "digest": "c" * 64, "key": version_key("c" * 64)},
    }
    assert Run.from_payload(payload) == replay
    assert Run.from_payload(audit_events.claim(run=replay, chunk_records=5)) == replay
    # a claim written before (its replay mark without the file id) still reads back
    older = {"at": STARTED, "execution": "exec-1", "file": "incoming/day.json"}
    assert Run.from_payload(older).replay_of is None and Run.from_payload(older).id == STARTED
    assert Run.from_payload(older).contract is None  # a run from before contracts were published


def test_a_retry_keeps_the_contract_its_run_started_with() -> None:
    """One run, one contract: a retry started after a publish continues under the claim's contract."""
    started = RUN.model_copy(update={"contract": JUDGED_BY})
    claim = audit_events.claim(run=started, chunk_records=5)
    now_active = ContractRef(version="3.0.0+" + "d" * 12, digest="d" * 64, key=version_key("d" * 64))
    retry = Run(file="incoming/day.json", id="2026-01-05T00:00:00.000Z", execution="exec-2", contract=now_active)
    assert retry.continued(FILE_ID, claim).contract == JUDGED_BY
    # a claim from before contracts were published: the retry judges by the contract it read
    older = {k: v for k, v in claim.items() if k != "contract"}
    assert retry.continued(FILE_ID, older).contract == now_active


def test_a_log_written_before_the_run_identity_still_folds() -> None:
    # file events as the code before wrote them: a run, then a replay naming it by its `at` (a string)
    then = {"pk": f"FILE#{FILE_ID}", "file_id": FILE_ID, "file": "incoming/day.json", "execution": "exec-1"}
    events = [
        then | {"sk": f"EVENT#{STARTED}#file.accepted", "event": "file.accepted", "at": STARTED, "records": 3},
        then | {"sk": f"EVENT#{STARTED}#file.completed", "event": "file.completed", "at": STARTED, "records": 3},
        then
        | {
            "sk": "EVENT#2026-01-03T00:00:00.000Z#file.replayed",
            "event": "file.replayed",
            "at": "2026-01-03T00:00:00.000Z",
            "execution": "replay-1",
            "replay_of": STARTED,
            "replay_of_execution": "exec-1",
        },
    ]
    first, replay = fold_runs(events)
    assert (first.run, first.status, first.records) == (RUN, "completed", 3)
    assert replay.run.replay_of == RUN and replay.run.id == "2026-01-03T00:00:00.000Z"
    assert first.as_dict()["at"] == STARTED and first.as_dict()["execution"] == "exec-1"


CHUNK = {"file_id": FILE_ID, "file": "incoming/day.json", "at": STARTED, "execution": "exec-1", "partition": 1}


def test_the_workflows_payloads_parse_into_their_run() -> None:
    job = ChunkJob.from_payload(CHUNK | {"chunk": {"chunk": 2, "key": "staging/c"}, "replay_of": None})
    assert (job.run, job.partition, job.chunk, job.key) == (RUN, 1, 2, "staging/c")
    replaying = ChunkJob.from_payload(CHUNK | {"chunk": {"chunk": 0, "key": "k"}, "replay_of": RUN.to_payload()})
    assert replaying.run.replay_of == RUN
    staged = FileRun.from_payload(CHUNK | {"records": 3, "chunks": 1})
    assert (staged.run, staged.records, staged.chunks) == (RUN, 3, 1)
    # RecordPrepareFailure's payload: the file was not read to its end, so its run has no file id yet
    failure = RunFailure.from_payload({"file": "incoming/day.json", "execution": "exec-1", "at": STARTED, "error": {}})
    assert failure.run == RUN.model_copy(update={"file_id": ""})
    uploaded = {"key": "raw/x", "size": 10, "version-id": "null", "replay-of": RUN.to_payload()}
    event = {"bucket": "b", "object": uploaded, "execution": "replay-1", "at": "2026-01-03T00:00:00.000Z"}
    prepared = FileJob.from_payload(event | {"state_machine": "arn"})
    assert (prepared.key, prepared.size, prepared.version_id, prepared.run.file) == ("raw/x", 10, None, "raw/x")
    assert (prepared.run.id, prepared.run.execution, prepared.run.replay_of) == (event["at"], "replay-1", RUN)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({k: v for k, v in CHUNK.items() if k != "file_id"} | {"chunk": {"chunk": 0, "key": "k"}}, "file_id"),
        (CHUNK | {"chunk": {"chunk": 0}}, "chunk.key"),
        (CHUNK | {"chunk": "c0000000.json"}, "chunk.chunk"),
        ({k: v for k, v in CHUNK.items() if k != "at"} | {"chunk": {"chunk": 0, "key": "k"}}, "at"),
        (CHUNK | {"chunk": {"chunk": 0, "key": "k"}, "replay_of": {"at": STARTED}}, "replay_of.file"),
    ],
)
def test_a_payload_error_names_the_missing_fields_path(event: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidPayloadError) as caught:
        ChunkJob.from_payload(event)
    assert str(caught.value) == f"payload has no {named}"


@pytest.mark.parametrize(
    ("event", "said"),
    [
        ({}, "payload has no corrections"),
        ({"corrections": "x"}, "payload corrections: Input should be a valid list"),
        ({"corrections": [{"id": "a:1"}, {"record": {}}]}, "payload has no corrections.1.id"),
        ({"corrections": ["a:1"]}, "payload has no corrections.0.id"),
    ],
)
def test_a_redrive_requests_errors_name_the_item(event: dict[str, object], said: str) -> None:
    with pytest.raises(InvalidPayloadError) as caught:
        corrections_of(event)
    assert str(caught.value) == said
    assert corrections_of({"corrections": [{"id": 7, "record": None, "attempt": 2}]}) == [Correction("7", None, 2)]
