"""`runs retry RUN`, `replay file`, `quarantine list --file`, `report --file`: a run is named by its file key, the name
`salesdq runs` shows, its execution, its file id or a unique prefix of it (8+ hex characters)."""

from __future__ import annotations

import pytest

from salesdq.errors import NotFoundError, UsageError
from salesdq.operators.run_summaries import RunSummary
from salesdq.operators.runs import find_run, runs_named
from services.domain.run import Run

RUNS = [
    RunSummary(
        Run(file_id="73c80e298cfa3095", file="incoming/sales.json", id="T1", execution="exec-1"), status="failed"
    ),
    RunSummary(
        Run(file_id="4be553870fa9f39b", file="incoming/other.json", id="T2", execution="exec-2"), status="completed"
    ),
]


@pytest.mark.parametrize("name", ["incoming/sales.json", "sales.json", "exec-1", "73c80e29", "73c80e298cfa3095"])
def test_a_run_is_found_by_each_of_its_names(name: str) -> None:
    assert find_run(RUNS, name) is RUNS[0]


BATCH = RunSummary(
    Run(file_id="9e" * 32, file="redrive/1b40-0.jsonl", id="T3", execution="redrive-1b40-0"), status="failed"
)


@pytest.mark.parametrize("name", ["redrive batch 1b40-0", "redrive/1b40-0.jsonl", "redrive-1b40-0", "9e9e9e9e"])
def test_a_redrive_batch_s_run_is_found_by_the_name_runs_shows_and_its_others(name: str) -> None:
    assert find_run([*RUNS, BATCH], name) is BATCH


@pytest.mark.parametrize("name", ["redrive batch 1b40", "redrive batch ", "1b40-0.jsonl", "redrive batch sales.json"])
def test_a_name_like_a_batch_s_names_no_other_run(name: str) -> None:
    with pytest.raises(NotFoundError):
        find_run([*RUNS, BATCH], name)


@pytest.mark.parametrize("name", ["incoming/", "json", "73c80e2", "ales.json", "incoming/incoming/sales.json"])
def test_anything_else_names_no_run(name: str) -> None:
    with pytest.raises(NotFoundError, match="`salesdq runs` lists them"):
        find_run(RUNS, name)


TWINS = [  # two file ids sharing their first 10 hex characters, as `runs` shows 12
    RunSummary(
        Run(file_id="5a1f3c9e0b" + "1" * 54, file="incoming/a.json", id="T1", execution="exec-a"), status="completed"
    ),
    RunSummary(
        Run(file_id="5a1f3c9e0b" + "2" * 54, file="incoming/b.json", id="T2", execution="exec-b"), status="completed"
    ),
    RunSummary(
        Run(file_id="5a1f3c9e0b" + "1" * 54, file="incoming/a.json", id="T3", execution="exec-a2"), status="completed"
    ),
]


@pytest.mark.parametrize("name", ["5a1f3c9e", "5a1f3c9e0b", " 5A1F3C9E0B "])
def test_a_prefix_of_two_file_ids_is_refused_naming_both(name: str) -> None:
    with pytest.raises(UsageError, match="starts 2 file ids") as refused:
        find_run(TWINS, name)
    assert "5a1f3c9e0b111111 (incoming/a.json)" in str(refused.value)
    assert "5a1f3c9e0b222222 (incoming/b.json)" in str(refused.value)


@pytest.mark.parametrize("name", ["5a1f3c9e0b1", "5A1F3C9E0B11", " 5a1f3c9e0b1111 ", "a.json", " incoming/a.json"])
def test_a_unique_prefix_names_every_run_of_its_file(name: str) -> None:
    assert runs_named(TWINS, name) == [TWINS[0], TWINS[2]]
    assert find_run(TWINS, name) is TWINS[2]  # the latest


def test_nothing_matching_is_no_run() -> None:
    assert runs_named(TWINS, "5a1f3c9e0b3") == []
    assert runs_named(TWINS, "5a1f3c9") == []  # under 8 characters: not a prefix
