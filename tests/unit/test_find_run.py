"""`runs retry RUN`: a run is named by its file key, the name `salesdq runs` shows, its execution or file id."""

from __future__ import annotations

import pytest

from salesdq.errors import NotFoundError
from salesdq.operators.runs import find_run
from services.audit.runs import RunSummary

RUNS = [
    RunSummary("incoming/sales.json", "73c80e298cfa3095", "T1", "failed", "exec-1"),
    RunSummary("incoming/other.json", "4be553870fa9f39b", "T2", "completed", "exec-2"),
]


@pytest.mark.parametrize("name", ["incoming/sales.json", "sales.json", "exec-1", "73c80e29", "73c80e298cfa3095"])
def test_a_run_is_found_by_each_of_its_names(name: str) -> None:
    assert find_run(RUNS, name) is RUNS[0]


@pytest.mark.parametrize("name", ["incoming/", "json", "73c80e2", "ales.json", "incoming/incoming/sales.json"])
def test_anything_else_names_no_run(name: str) -> None:
    with pytest.raises(NotFoundError, match="`salesdq runs` lists them"):
        find_run(RUNS, name)
