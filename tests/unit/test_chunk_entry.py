"""A staged chunk's entries (services/domain/chunk_entry.py): the record, and what parsing found of it."""

from __future__ import annotations

from services.domain import chunk_entry


def test_an_entry_without_findings_keeps_the_two_item_shape():
    assert chunk_entry.staged(7, {"a": 1}) == [7, {"a": 1}]
    assert chunk_entry.read([7, {"a": 1}]) == (7, {"a": 1}, ())


def test_findings_travel_as_a_third_item():
    entry = chunk_entry.staged(3, {"a": 2}, ("a", "b.c"))
    assert entry == [3, {"a": 2}, {"duplicate_keys": ["a", "b.c"]}]
    assert chunk_entry.read(entry) == (3, {"a": 2}, ("a", "b.c"))


def test_a_reader_takes_findings_it_does_not_know():
    assert chunk_entry.read([1, None, {"something_new": True}]) == (1, None, ())
