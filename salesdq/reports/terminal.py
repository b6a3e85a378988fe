"""The report in a terminal: alerts first, then totals, the files, failures by rule and by field, warnings by rule
(when a rule of severity warning warned), the day trend.

Rich tables with colour on a terminal, fitted to its width; plain aligned text (no colour, no box drawing, never
wrapped: a pipe has no width) when the output is a pipe or a file, so it greps and diffs.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesdq.plain_text import render_plain
from salesdq.reports.model import Report
from salesdq.reports.text import (
    FILE_COLUMNS,
    below_fail_under,
    empty_text,
    pct,
    settings_text,
    title,
)

TREND_WIDTH = 30  # characters of the day trend's bar at a score of 100%
WIDE = 150  # a terminal this wide gets the files' arrival times and reasons as columns
FOLDED_MIN = 12  # the narrowest a folded column (a file name, a reason) gets


def render_terminal(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    if console.is_terminal:
        _render(console, report, plain=False)
        return
    console.file.write(render_text(report))  # a pipe: whatever width the console was given, nothing wraps


def _render(console: Console, report: Report, plain: bool) -> None:
    console.print(Text(title(report), style="bold"))
    if report.empty:
        console.print(Text(empty_text(report)))
        return
    _alerts(console, report)
    _totals(console, report, plain)
    _files(console, report, plain)
    _failures(console, report, plain)
    _warnings(console, report, plain)
    _days(console, report, plain)
    console.print()
    console.print(Text(settings_text(report), style="dim"))


def render_text(report: Report) -> str:
    """The plain-text rendering, as printed to a pipe: every column, one line a row."""
    return render_plain(lambda console: _render(console, report, plain=True))


def _table(title: str, plain: bool) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None if plain else box.SIMPLE_HEAD,
        show_edge=False,
        header_style="" if plain else "bold",
        pad_edge=False,
    )


def _alerts(console: Console, report: Report) -> None:
    console.print()
    if not report.alerts:
        console.print(Text("No alerts.", style="green"))
        return
    console.print(Text(f"Alerts ({len(report.alerts)})", style="bold red"))
    for alert in report.alerts:
        console.print(Text(f"! {alert.reason}", style="red"))


def _totals(console: Console, report: Report, plain: bool) -> None:
    t = report.totals
    table = _table("Totals", plain)
    values = {
        "Files": str(t.files),
        "Records": str(t.records),
        "Stored": str(t.stored),
        "Duplicates": str(t.duplicates),
        "Quarantined": str(t.quarantined),
        "Redriven": str(t.redriven),
        "Score": pct(t.quality_score),
        "Score now": pct(t.quality_score_now),
    }
    for header in values:
        table.add_column(header, justify="right")
    table.add_row(*values.values())
    console.print()
    console.print(table)
    if below_fail_under(report):
        console.print(Text(f"The score is below the fail-under threshold of {pct(report.settings.fail_under)}."))


def _files(console: Console, report: Report, plain: bool) -> None:
    wide = console.width >= WIDE
    columns = [c for c in FILE_COLUMNS if wide or not c.wide_only]
    headers = [c.header if wide else c.short or c.header for c in columns]
    # Every column but the free text is as wide as its widest value, so no number is ever cut; the free-text
    # columns (a file name first, then a reason) fold into what is left.
    widths = [max([len(h)] + [len(c.value(f)) for f in report.files]) for c, h in zip(columns, headers, strict=True)]
    table = _table(f"Files ({len(report.files)})", plain)
    gap = 2 if table.box is None else 3  # the padding either side of a divider, and a box's divider
    left = console.width - gap * (len(columns) - 1) - sum(w for c, w in zip(columns, widths, strict=True) if not c.wrap)
    folded = [c for c in columns if c.wrap]
    for column, header, widest in zip(columns, headers, widths, strict=True):
        width = None
        if column.wrap:  # the first (the file name) gets all it needs that leaves the others their minimum
            folded.remove(column)
            width = max(FOLDED_MIN, min(widest, left - FOLDED_MIN * len(folded)))
            left -= width
        table.add_column(
            header,
            justify="right" if column.numeric else "left",
            no_wrap=not column.wrap,
            overflow="fold",
            min_width=widest if width is None else None,
            width=width,
        )
    for entry in report.files:
        style = "" if plain or entry.status == "completed" else "yellow"
        table.add_row(*(Text(column.value(entry)) for column in columns), style=style)
    console.print()
    console.print(table)
    if not wide:  # the reasons the narrow table leaves out
        for entry in report.files:
            if entry.reason:
                console.print(Text(f"{entry.file} {entry.status}: {entry.reason}"))


def _failures(console: Console, report: Report, plain: bool) -> None:
    console.print()
    if not report.failures.by_rule and not report.failures.by_field:
        console.print(Text("No failures."))
        return
    by_rule = _table("Failures by rule", plain)
    by_rule.add_column("Rule")
    by_rule.add_column("Count", justify="right")
    by_rule.add_column("Share", justify="right")
    by_rule.add_column("Example (quarantine id)", overflow="fold")
    for rule in report.failures.by_rule:
        by_rule.add_row(
            Text(rule.rule), str(rule.count), pct(rule.share), Text(rule.examples[0] if rule.examples else "")
        )
    by_field = _table("Failures by field", plain)
    by_field.add_column("Field")
    by_field.add_column("Count", justify="right")
    by_field.add_column("Share", justify="right")
    for entry in report.failures.by_field:
        by_field.add_row(Text(entry.field), str(entry.count), pct(entry.share))
    console.print(by_rule)
    console.print()
    console.print(by_field)


def _warnings(console: Console, report: Report, plain: bool) -> None:
    """Rules of severity warning, apart from failures: their records were stored (printed only when any warned)."""
    if not report.warnings:
        return
    table = _table("Warnings by rule", plain)  # short: a title wider than its table would wrap
    table.add_column("Rule")
    table.add_column("Count", justify="right")
    table.add_column("Share", justify="right")
    for rule in report.warnings:
        table.add_row(Text(rule.rule), str(rule.count), pct(rule.share))
    console.print()
    console.print(table)


def _days(console: Console, report: Report, plain: bool) -> None:
    table = _table("Quality score by day", plain)
    for header in ("Day", "Files", "Records", "Quarantined", "Score"):
        table.add_column(header, justify="left" if header == "Day" else "right")
    table.add_column("")
    mark = "#" if plain else "█"
    for day in report.days:
        bar = "" if day.quality_score is None else mark * round(day.quality_score * TREND_WIDTH)
        table.add_row(
            Text(day.day), str(day.files), str(day.records), str(day.quarantined), pct(day.quality_score), bar
        )
    console.print()
    console.print(table)
