"""The report as CSV files in a directory, a header on each file's first line.

- files.csv: one row a file, the columns of the report's `files` entries.
- failures.csv: `by` (rule, field or warning), `name`, `count`, `share`, `examples` (quarantine ids separated by
  spaces; empty for fields and warnings): the rows of failures.by_rule, then those of failures.by_field, then
  the warnings by rule (records stored with them).
- days.csv: one row a day, the columns of the report's `days` entries.

Numbers are written as the report holds them (a score is a fraction, not a percentage); a missing value
(a score of no records, the reason of a completed file) is an empty cell. A text cell a spreadsheet would read
as a formula (it starts with = + - @, a tab or a carriage return: a field named `=HYPERLINK(...)`) gets a
leading single quote, as OWASP's "CSV Injection" advises: the cell shows as text and never runs.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from salesdq.reports.model import Day, FileEntry, Report

FILES_CSV = "files.csv"
FAILURES_CSV = "failures.csv"
DAYS_CSV = "days.csv"
# a file's file-level rules are a list: the report's JSON holds them, its verdict and reason say what they found
FILES_COLUMNS = tuple(f.name for f in dataclasses.fields(FileEntry) if f.name != "file_rules")
FAILURES_COLUMNS = ("by", "name", "count", "share", "examples")
DAYS_COLUMNS = tuple(f.name for f in dataclasses.fields(Day))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV Injection


def write_csv(report: Report, directory: Path | str) -> list[Path]:
    """Write the three files into `directory` (created if missing); return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    failures: list[Sequence[Any]] = [
        ("rule", r.rule, r.count, r.share, " ".join(r.examples)) for r in report.failures.by_rule
    ]
    failures += [("field", f.field, f.count, f.share, "") for f in report.failures.by_field]
    failures += [("warning", w.rule, w.count, w.share, "") for w in report.warnings]
    return [
        _write(out / FILES_CSV, FILES_COLUMNS, ([getattr(f, name) for name in FILES_COLUMNS] for f in report.files)),
        _write(out / FAILURES_CSV, FAILURES_COLUMNS, failures),
        _write(out / DAYS_CSV, DAYS_COLUMNS, (dataclasses.astuple(d) for d in report.days)),
    ]


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
    return path


def _cell(value: Any) -> Any:
    """A value as a cell: None empty, text that a spreadsheet would run as a formula quoted (numbers are
    written as numbers: a negative one is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
