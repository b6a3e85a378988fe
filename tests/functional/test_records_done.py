"""Records done while an execution runs, read from the audit log as the progress display reads them."""

from __future__ import annotations

from typing import Any

from salesdq.operators.progress import REFRESH_S, RecordsDone
from services.domain import audit_events
from services.domain.audit_events import EventKind
from services.domain.run import Run

from .conftest import Aws
from .test_leases import Clock

FILE_ID = "f" * 64
AT = "2026-11-21T10:00:00.000Z"


def _claim(audit: Any, execution: str, at: str = AT, partitions: int = 2) -> None:
    claim = audit_events.claim(
        run=Run(file_id=FILE_ID, file="incoming/f.json", id=at, execution=execution),
        partitions=partitions,
        chunk_records=3,
    )
    audit.append([claim])


def _accepted(audit: Any, execution: str, records: int, partitions: int, at: str = AT) -> None:
    event = audit_events.file_event(
        run=Run(file_id=FILE_ID, file="incoming/f.json", id=at, execution=execution),
        kind=EventKind.FILE_ACCEPTED,
        records=records,
        partitions=partitions,
    )
    audit.append([event])


def _chunk(
    audit: Any, partition: int, chunk: int, stored: int, quarantined: int, execution: str = "run-1", at: str = AT
) -> None:
    outcomes: list[list[Any]] = [[i, "stored"] for i in range(stored)]
    outcomes += [[stored + i, "quarantined", "missing"] for i in range(quarantined)]
    marker = audit_events.chunk_event(
        run=Run(file_id=FILE_ID, file="k", id=at, execution=execution),
        partition=partition,
        chunk=chunk,
        outcomes=outcomes,
    )
    audit.append([marker])


def test_nothing_is_known_until_prepare_accepted_the_file_then_every_marker_counts_once(aws: Aws) -> None:
    audit, clock = aws.stores.audit, Clock()
    records = RecordsDone(audit, FILE_ID, "run-1", clock=clock)
    assert records.read() == (None, None)  # not even claimed

    _claim(audit, "run-1")
    clock.now += REFRESH_S
    assert records.read() == (None, None)  # claimed, still being split

    _accepted(audit, "run-1", records=10, partitions=2)
    clock.now += REFRESH_S
    assert records.read() == (0, 10)

    _chunk(audit, 0, 0, stored=2, quarantined=1)
    _chunk(audit, 1, 0, stored=3, quarantined=0)
    _chunk(audit, 1, 1, stored=1, quarantined=1)
    assert records.read() == (0, 10)  # read again only after REFRESH_S
    clock.now += REFRESH_S
    assert records.read() == (8, 10)
    _chunk(audit, 0, 1, stored=2, quarantined=0)
    clock.now += REFRESH_S
    assert records.read() == (10, 10)
    clock.now += REFRESH_S
    assert records.read() == (10, 10)  # nothing new: nothing counted twice


def test_a_duplicate_upload_never_shows_the_records_of_the_run_that_holds_the_file(aws: Aws) -> None:
    audit, clock = aws.stores.audit, Clock()
    _claim(audit, "first")
    _accepted(audit, "first", records=4, partitions=1)
    _chunk(audit, 0, 0, stored=4, quarantined=0, execution="first")

    records = RecordsDone(audit, FILE_ID, "second", clock=clock)

    assert records.read() == (None, None)


def test_a_run_that_continues_a_failed_one_counts_the_chunks_that_run_finished(aws: Aws) -> None:
    audit, clock = aws.stores.audit, Clock()
    failed_at = "2026-11-20T09:00:00.000Z"
    _chunk(audit, 0, 0, stored=5, quarantined=0, execution="failed", at=failed_at)
    _chunk(audit, 0, 1, stored=5, quarantined=0, execution="failed", at=failed_at)
    # the re-upload took the claim over and keeps the failed run's `at`, so its keys are that run's
    _claim(audit, "retry", at=failed_at)
    _accepted(audit, "retry", records=15, partitions=1, at=failed_at)

    records = RecordsDone(audit, FILE_ID, "retry", clock=clock)

    assert records.read() == (10, 15)


def test_a_partition_that_got_no_records_does_not_hide_the_ones_after_it(aws: Aws) -> None:
    audit, clock = aws.stores.audit, Clock()
    _claim(audit, "run-1", partitions=3)
    _accepted(audit, "run-1", records=5, partitions=2)  # partition 1 got no record: two partitions in the manifest
    _chunk(audit, 0, 0, stored=3, quarantined=0)
    _chunk(audit, 2, 0, stored=2, quarantined=0)

    records = RecordsDone(audit, FILE_ID, "run-1", clock=clock)

    assert records.read() == (5, 5)
