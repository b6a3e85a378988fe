"""A file run's counts, folded from the audit log's chunk events (one compact item per chunk, never a read of
per-record events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.outcomes import Outcome


@dataclass
class RunCounts:
    chunks: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    failures_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.outcomes.values())

    @property
    def score(self) -> float:
        """The share of records that ended complete: stored or duplicate."""
        good = self.outcomes[Outcome.STORED] + self.outcomes[Outcome.DUPLICATE]
        return round(good / self.records, 4) if self.records else 0.0


def fold_run(audit: AuditLog, file_id: str, at: str) -> RunCounts:
    """The counts of the run of `file_id` started at `at` (a retried run keeps its `at`, whichever execution
    wrote each chunk)."""
    counts = RunCounts()
    for chunk in audit.query(*audit_events.chunk_prefix(file_id, at), attributes=audit_events.CHUNK_SUMMARY):
        counts.chunks += 1
        for outcome, count in chunk["counts"].items():
            counts.outcomes[outcome] += count
        for rule, count in chunk.get("failures", {}).items():
            counts.failures_by_rule[rule] = counts.failures_by_rule.get(rule, 0) + count
    return counts
