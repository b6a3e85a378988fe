"""The Finalize step: a file finalized. Its chunk outcomes are folded into its summary event; it refuses to
finish (the execution fails, visibly) if any chunk is missing or the counts do not add up.

The run's `file.completed` event is its commit point, written last (everything before it is rewritten alike by a
retry): once it is in the log the run has completed, whatever becomes of the invocation that wrote it. A Finalize
that dies after it (its write applied, its reply lost, in every attempt) ends in RecordRunFailure, which finds
the commit (`committed`) and completes the execution with this summary instead of failing it: the command line,
Step Functions, `runs` and `report` then all say `completed`.

The `file.completed` event is what reports read of a file: its counts and score, failures by rule and by
field, a few example quarantine ids per rule, warnings by rule, and, when the run's contract has file-level rules
(services/contract/file_rules.py), each judged on the run's counts and the file's verdict (passed, alert or
rejected, with the reason naming the rule and what it measured). A rejected file's records keep their
outcomes: the verdict is the file's, on its run. A redrive batch's run also writes, for each original file whose records
it held, one `file.redriven` item under that file's key (how many it redrove for the first time, how many now
ended stored or duplicate), before its own `file.completed`, so a retried Finalize rewrites the same items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.audit.summary import RunCounts, fold_run
from services.contract.file_rules import FileCounts, outcome
from services.dal.audit_log import AuditLog
from services.domain import audit_events, contract, redrive_batch
from services.domain.audit_events import EventKind
from services.domain.contract import Rule
from services.domain.outcomes import Outcome
from services.domain.payloads import FileRun
from services.domain.run import Run
from services.errors import ServiceError

if TYPE_CHECKING:
    from services.contract import CompiledContract

# What a run's summary holds beside its status, file and file id: its file.completed event holds them too.
SUMMARY_FIELDS = ("records", "stored", "duplicates", "quarantined", "score", "failures_by_rule")
# ... and, when its contract has file-level rules, the file's verdict under them and, unless it passed, why
VERDICT_FIELDS = ("verdict", "reason")


def file_verdict(counts: RunCounts, judge: CompiledContract | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The contract's file-level rules judged on the run's counts: what the summary says (the verdict and, unless
    it passed, its reason) and what the file.completed event holds beside it (`file_rules`); both empty when the
    contract has none. `judge`: the run's contract (None: the active one)."""
    measured = FileCounts(
        records=counts.records,
        invalid=counts.outcomes[Outcome.QUARANTINED] - counts.failures_by_rule.get(Rule.CONFLICT, 0),
        repeats=counts.repeats,
    )
    judged = (judge or contract.shipped()).judge_file(measured)
    if not judged:
        return {}, {}
    verdict, reason = outcome(judged)
    said = {"verdict": verdict} | ({"reason": reason} if reason else {})
    return said, {"file_rules": [v.as_dict() for v in judged]}


class IncompleteFileError(ServiceError):
    """Fewer chunk outcomes than chunks, or counts that do not add up: records would be unaccounted."""


def finalize(run: FileRun, audit: AuditLog, judge: CompiledContract | None = None) -> dict[str, Any]:
    """`judge`: the run's contract, whose file-level rules judge the file (None: the active one)."""
    return complete(run, fold_run(audit, run.run), audit, judge)


def committed(run: Run, audit: AuditLog) -> dict[str, Any] | None:
    """The summary of the run if its commit point, its file.completed event, is in the log."""
    file_id = run.file_id
    event = audit.get(*audit_events.file_event_key(file_id, run.id, EventKind.FILE_COMPLETED))
    if event is None:
        return None
    summary = {"status": "completed", "file": event["file"], "file_id": file_id}
    judged = {"contract": event.get("contract_version")}
    summary |= {field: event[field] for field in SUMMARY_FIELDS} | {"score": float(event["score"])} | judged
    return summary | {field: event[field] for field in VERDICT_FIELDS if field in event}


def complete(
    staged: FileRun, counts: RunCounts, audit: AuditLog, judge: CompiledContract | None = None
) -> dict[str, Any]:
    """The run's summary from its chunks' counts, written as its `file.completed` event, last (after, for a
    redrive batch, its `file.redriven` accounts); IncompleteFileError when the counts miss chunks or records."""
    run = staged.run
    if counts.chunks != staged.chunks or counts.records != staged.records:
        raise IncompleteFileError(
            f"{run.file}: {counts.chunks} of {staged.chunks} chunks reported, "
            f"{counts.records} of {staged.records} records accounted"
        )
    summary = {
        "status": "completed",
        "file": run.file,
        "file_id": run.file_id,
        "records": counts.records,
        "stored": counts.outcomes[Outcome.STORED],
        "duplicates": counts.outcomes[Outcome.DUPLICATE],
        "quarantined": counts.outcomes[Outcome.QUARANTINED],
        "score": counts.score,
        "failures_by_rule": counts.failures_by_rule,
        "contract": contract.version_of(run.contract),  # the run's contract, as its record events name it
    }
    detail: dict[str, Any] = {
        "failures_by_field": counts.failures_by_field,
        "examples_by_rule": counts.examples_by_rule,
        "warnings_by_rule": counts.warnings_by_rule,  # apart from failures: these records were stored
    }
    if not redrive_batch.is_redrive(run.file):  # a redrive batch is corrections, not a file the rules speak of
        said, judged = file_verdict(counts, judge)
        summary |= said
        detail |= judged
    else:
        detail |= {
            "redriven": sum(t["redriven"] for t in counts.origins.values()),
            "resolved": sum(t["resolved"] for t in counts.origins.values()),
            "origin_files": len(counts.origins),
        }
        audit.append(
            audit_events.file_redriven(
                file_id=file_id, batch=run, redriven=tally["redriven"], resolved=tally["resolved"]
            )
            for file_id, tally in sorted(counts.origins.items())
        )
    audit.append(
        [
            audit_events.file_event(
                run=run,
                kind=EventKind.FILE_COMPLETED,
                contract_version=summary["contract"],
                **{k: summary[k] for k in (*SUMMARY_FIELDS, *VERDICT_FIELDS) if k in summary},
                **detail,
            )
        ]
    )
    return summary
