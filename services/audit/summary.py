"""A file run's counts, folded from the audit log's chunk events (one compact item per chunk, never a read of
per-record events): outcomes, failures by rule and by field, a few example quarantine ids per rule, warnings by rule,
the records repeating an order id of the file, and for a redrive batch what it did for each original file's
records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.outcomes import Outcome
from services.domain.run import Run


@dataclass
class RunCounts:
    chunks: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    failures_by_rule: dict[str, int] = field(default_factory=dict)
    failures_by_field: dict[str, int] = field(default_factory=dict)
    examples_by_rule: dict[str, list[str]] = field(default_factory=dict)
    origins: dict[str, dict[str, int]] = field(default_factory=dict)  # original file id -> redriven, resolved
    warnings_by_rule: dict[str, int] = field(default_factory=dict)  # records each warning rule warned of
    repeats: int = 0  # records whose order id an earlier complete record of the file has

    @property
    def records(self) -> int:
        return sum(self.outcomes.values())

    @property
    def score(self) -> float:
        """The share of records that ended complete: stored or duplicate."""
        good = self.outcomes[Outcome.STORED] + self.outcomes[Outcome.DUPLICATE]
        return round(good / self.records, 4) if self.records else 0.0

    def add_chunk(self, chunk: Mapping[str, Any]) -> None:
        """One chunk marker's aggregates (a marker written before they existed has counts and failures only)."""
        self.chunks += 1
        for outcome, count in chunk["counts"].items():
            self.outcomes[outcome] += int(count)
        _add(self.failures_by_rule, chunk.get("failures", {}))
        _add(self.failures_by_field, chunk.get("fields", {}))
        self.failures_by_field = audit_events.capped_fields(self.failures_by_field)
        _add_examples(self.examples_by_rule, chunk.get("examples", {}))
        _add(self.warnings_by_rule, chunk.get("warnings", {}))
        self.repeats += int(chunk.get("repeats", 0))
        for file_id, tally in chunk.get("origins", {}).items():
            _add(self.origins.setdefault(file_id, {"redriven": 0, "resolved": 0}), tally)


def _add(into: dict[str, int], counts: Mapping[str, Any]) -> None:
    for name, count in counts.items():
        into[name] = into.get(name, 0) + int(count)


def _add_examples(into: dict[str, list[str]], examples: Mapping[str, Iterable[str]]) -> None:
    for rule, ids in examples.items():
        shown = into.setdefault(rule, [])
        shown += [str(i) for i in ids if str(i) not in shown][: audit_events.MAX_EXAMPLES - len(shown)]


def fold_chunks(chunks: Iterable[Mapping[str, Any]]) -> RunCounts:
    counts = RunCounts()
    for chunk in chunks:
        counts.add_chunk(chunk)
    return counts


def fold_run(audit: AuditLog, run: Run, consistent: bool = True) -> RunCounts:
    """The counts of the run (a retried run keeps its id, whichever execution wrote each chunk), in chunk
    order: the examples are the file's first ones."""
    prefix = audit_events.chunk_prefix(run.file_id, run.id)
    return fold_chunks(audit.query(*prefix, attributes=audit_events.CHUNK_SUMMARY, consistent=consistent))
