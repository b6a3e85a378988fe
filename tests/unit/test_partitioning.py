"""Preparation's pure helpers: how many partitions, and which partition a record goes to."""

from __future__ import annotations

import zlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.domain.slots import SLOTS, slot_of
from services.ingest.split import BYTES_PER_RECORD_ESTIMATE, partition_of, partitions_for


@pytest.mark.parametrize(
    ("size", "chunk_records", "max_partitions", "expected"),
    [
        (0, 1000, 64, 1),
        (1, 1000, 64, 1),
        (BYTES_PER_RECORD_ESTIMATE * 1000, 1000, 64, 1),
        (BYTES_PER_RECORD_ESTIMATE * 1000 + 1, 1000, 64, 2),
        (BYTES_PER_RECORD_ESTIMATE * 10_000, 1000, 64, 10),
        (BYTES_PER_RECORD_ESTIMATE * 10_000_000, 1000, 64, 64),
        (10**12, 1000, 3, 3),
        (10**6, 1, 1, 1),
    ],
)
def test_partitions_for(size, chunk_records, max_partitions, expected):
    assert partitions_for(size, chunk_records, max_partitions) == expected


@given(st.integers(0, 10**13), st.integers(1, 10_000), st.integers(1, 256))
def test_partitions_for_is_always_within_bounds(size, chunk_records, max_partitions):
    assert 1 <= partitions_for(size, chunk_records, max_partitions) <= max_partitions


@given(st.text(min_size=1), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 128))
def test_same_order_id_same_partition_wherever_it_appears(order_id, i, j, partitions):
    p = partition_of(order_id, i, partitions)
    assert p == partition_of(order_id, j, partitions)
    assert 0 <= p < partitions


def test_partition_is_a_stable_hash_not_pythons_salted_hash():
    # stable across processes: a retried prepare must put an order where the first attempt did
    assert partition_of("A-1", 0, 64) == zlib.crc32(b"A-1") % 64
    assert partition_of("ü", 5, 7) == zlib.crc32("ü".encode()) % 64 % 7  # a partition is a union of slots


def test_records_without_an_id_spread_by_position():
    assert [partition_of(None, i, 4) for i in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]


def test_order_ids_spread_over_partitions():
    counts = Counter(partition_of(f"ORD-{n}", n, 16) for n in range(16_000))
    assert set(counts) == set(range(16))
    assert max(counts.values()) < 2 * min(counts.values())


def test_a_single_partition_takes_everything():
    assert {partition_of(f"O{n}", n, 1) for n in range(100)} | {partition_of(None, 7, 1)} == {0}


def test_no_slot_is_split_between_two_partitions_of_a_file():
    # A chunk's write leases are the slots of its orders: partitions of one file must never share one.
    for partitions in range(1, SLOTS + 1):
        owner: dict[int, int] = {}
        for n in range(2_000):
            order_id = f"ORD-{n}"
            assert owner.setdefault(slot_of(order_id), partition_of(order_id, n, partitions)) == partition_of(
                order_id, n, partitions
            )
