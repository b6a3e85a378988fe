"""An outcome audited: every record's terminal event, then the chunk's compact marker, appended to the log.

The marker is written last: a chunk whose marker exists is done, and its recorded counts are returned to a
retry instead of doing the work again; a chunk without one is redone, rewriting the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.dal.audit_log import AuditLog
from services.domain import audit_events
from services.domain.dlq_message import Origin
from services.domain.outcomes import RecordOutcome
from services.domain.payloads import ChunkJob


def recorded_counts(job: ChunkJob, audit: AuditLog) -> dict[str, int] | None:
    """The counts of a chunk already done, else None."""
    marker = audit.get(*audit_events.chunk_key(job.file_id, job.partition, job.chunk))
    return dict(marker["counts"]) if marker is not None else None


def append_outcomes(
    job: ChunkJob, outcomes: Sequence[RecordOutcome], origins: Mapping[int, Origin], audit: AuditLog
) -> dict[str, int]:
    """Each record's event, then the chunk's marker; returns the chunk's counts."""
    audit.append(
        audit_events.record_event(
            file_id=job.file_id,
            file=job.file,
            index=o.index,
            outcome=o.outcome,
            order_id=o.order_id,
            reasons=[r.as_dict() for r in o.reasons],
            at=job.at,
            execution=job.execution,
            attempt=origins[o.index].attempt if o.index in origins else job.attempt,
            detail=origins[o.index].as_dict() if o.index in origins else None,
        )
        for o in outcomes
    )
    marker = audit_events.chunk_event(
        file_id=job.file_id,
        partition=job.partition,
        chunk=job.chunk,
        outcomes=[[o.index, o.outcome, *o.rules] for o in outcomes],
        at=job.at,
        execution=job.execution,
    )
    audit.append([marker])
    return dict(marker["counts"])
