"""The seeded generator makes mock-data.json and every benchmark input: its files must say what the docs say."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import make_sales_file

REPO = Path(__file__).resolve().parents[2]


def _generate(tmp_path: Path, *args: str) -> str:
    out = tmp_path / f"file{len(list(tmp_path.iterdir()))}.json"
    assert make_sales_file.main([*args, "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_the_indented_layout_is_the_brief_samples_layout_with_the_same_records(tmp_path):
    compact = _generate(tmp_path, "--records", "50", "--incomplete", "0.3", "--seed", "3")
    indented = _generate(tmp_path, "--records", "50", "--incomplete", "0.3", "--seed", "3", "--indent", "4")
    assert json.loads(indented) == json.loads(compact)
    assert indented == json.dumps(json.loads(indented), indent=4) + "\n"
    # The brief's sample file is laid out the same way (its ~265 bytes a record are the "~265 MB").
    sample = (REPO / "tests" / "data" / "brief-sample.json").read_text(encoding="utf-8")
    assert sample.rstrip("\n") == json.dumps(json.loads(sample), indent=4)


def test_the_committed_mock_data_is_what_its_seed_makes(tmp_path):
    # The Makefile's `make mock-data` command; a hand edit of mock-data.json would drift from the docs' counts.
    made = _generate(tmp_path, "--records", "100", "--seed", "7", "--mock")
    assert made == (REPO / "mock-data.json").read_text(encoding="utf-8")
