"""What every human-facing renderer says the same way: scores as percentages, the window, the files' columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from salesdq.reports.model import FileEntry, Report, Window

NO_SCORE = "n/a"  # a score of no records


def pct(score: float | None, digits: int = 1) -> str:
    return NO_SCORE if score is None else f"{score * 100:.{digits}f}%"


def window_text(window: Window) -> str:
    if window.since and window.until:
        span = f"{window.since} to {window.until}"
    elif window.since:
        span = f"since {window.since}"
    elif window.until:
        span = f"until {window.until}"
    else:
        span = "the whole audit history"
    return f"{span}, file {window.file}" if window.file else span


def title(report: Report) -> str:
    return f"Data-quality report: {window_text(report.window)}"


def empty_text(report: Report) -> str:
    return f"This report is empty: no file arrived in {window_text(report.window)}."


def settings_text(report: Report) -> str:
    s = report.settings
    text = (
        f"An alert is a file or day scoring more than {s.margin * 100:g} points below its baseline "
        f"(the previous {s.baseline_window} files or days)."
    )
    if s.fail_under is not None:
        text += f" The report fails under a quality score of {pct(s.fail_under)}."
    return text


def below_fail_under(report: Report) -> bool:
    fail_under, score = report.settings.fail_under, report.totals.quality_score
    return fail_under is not None and score is not None and score < fail_under


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[FileEntry], str]
    numeric: bool = False
    wrap: bool = False  # free text (a name, a reason) may wrap; times, statuses and numbers are never cut
    short: str = ""  # the header on a narrow terminal
    wide_only: bool = False  # left out of a narrow terminal's table


def arrived(at: str) -> str:
    """An ISO timestamp to the minute, as the tables show it: 2024-03-01T09:12:03.114Z -> 2024-03-01 09:12."""
    return at[:16].replace("T", " ")


FILE_COLUMNS = (
    Column("File", lambda f: f.file, wrap=True),
    Column("Arrived", lambda f: arrived(f.at), wide_only=True),
    Column("Status", lambda f: f.status),
    Column("Records", lambda f: str(f.records), numeric=True, short="Recs"),
    Column("Stored", lambda f: str(f.stored), numeric=True),
    Column("Duplicates", lambda f: str(f.duplicates), numeric=True, short="Dups"),
    Column("Quarantined", lambda f: str(f.quarantined), numeric=True, short="Quar"),
    Column("Redriven", lambda f: str(f.redriven), numeric=True, short="Redr"),
    Column("Score", lambda f: pct(f.quality_score), numeric=True),
    Column("Score now", lambda f: pct(f.quality_score_now), numeric=True, short="Now"),
    Column("Reason", lambda f: f.reason or "", wrap=True, wide_only=True),
)
