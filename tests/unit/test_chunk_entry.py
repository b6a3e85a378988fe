"""A staged chunk's entries (services/domain/chunk_entry.py): the record, and what parsing found of it."""

from __future__ import annotations

from services.domain import chunk_entry
from services.domain.chunk_entry import NOTHING, Findings


def test_an_entry_without_findings_keeps_the_two_item_shape():
    assert chunk_entry.staged(7, {"a": 1}) == [7, {"a": 1}]
    assert chunk_entry.read([7, {"a": 1}]) == (7, {"a": 1}, NOTHING)


def test_findings_travel_as_a_third_item():
    entry = chunk_entry.staged(3, {"a": 2}, Findings(("a", "b.c")))
    assert entry == [3, {"a": 2}, {"duplicate_keys": ["a", "b.c"]}]
    assert chunk_entry.read(entry) == (3, {"a": 2}, Findings(("a", "b.c")))


def test_an_unreadable_line_travels_as_its_text_with_why():
    why = "the line is not valid JSON (line 5, column 2)"
    entry = chunk_entry.staged(4, "{oops}", Findings(unreadable=why))
    assert entry == [4, "{oops}", {"unreadable": why}]
    assert chunk_entry.read(entry) == (4, "{oops}", Findings(unreadable=why))


def test_a_reader_takes_findings_it_does_not_know():
    assert chunk_entry.read([1, None, {"something_new": True}]) == (1, None, NOTHING)
