"""Inline SVG charts drawn here, for the HTML page: no library, no script, no external resource.

Every text and attribute value is escaped. Each bar is a `rect` of class `bar` with a `title` (the tooltip, and
what a screen reader reads), so a chart can be checked by counting its bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from salesdq.reports.model import Day
from salesdq.reports.text import pct

WIDTH = 720  # the viewBox width of every chart; the page scales it to the column
LABEL_CHARS = 26  # a longer bar label is cut, the full one stays in the bar's title
MAX_DAY_LABELS = 16  # more days than this: label every n-th day


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _clip(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "\u2026"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float


def horizontal_bars(chart_id: str, caption: str, bars: Sequence[Bar]) -> str:
    """One row a bar, longest first as given: the label, the bar (its length the count), the count and share."""
    row, label_w, value_w, top = 24, 190, 110, 6
    bar_w = WIDTH - label_w - value_w
    height = top * 2 + row * len(bars)
    most = max((b.count for b in bars), default=0) or 1
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart hbars" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(caption)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(bar.count / most * bar_w, 1.0)
        tip = f"{bar.label}: {bar.count} ({pct(bar.share)})"
        parts.append(
            f'<g class="row"><text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(_clip(bar.label))}</text>"
            f'<rect class="bar" data-name="{escape(bar.label)}" x="{label_w}" y="{y + 4}" '
            f'width="{_num(length)}" height="{row - 8}" rx="2"><title>{escape(tip)}</title></rect>'
            f'<text class="value" x="{_num(label_w + length + 6)}" y="{y + 16}">'
            f"{bar.count} ({escape(pct(bar.share))})</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def score_by_day(
    chart_id: str, caption: str, days: Sequence[Day], *, fail_under: float | None, alert_days: set[str]
) -> str:
    """A bar a day, its height the day's quality score on a 0-100% axis; days with an alert stand out, a day
    with no records shows n/a; the fail-under threshold, when set, is a dashed line."""
    height, left, right, top, bottom = 260, 46, 12, 16, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    slot = plot_w / max(len(days), 1)
    bar_w = min(slot * 0.7, 56.0)
    every = math.ceil(len(days) / MAX_DAY_LABELS) or 1

    def y_of(score: float) -> float:
        return top + plot_h * (1 - score)

    parts = [
        f'<svg id="{escape(chart_id)}" class="chart trend" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(caption)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        tick_y = _num(y_of(tick))
        parts.append(
            f'<line class="grid" x1="{left}" y1="{tick_y}" x2="{WIDTH - right}" y2="{tick_y}"/>'
            f'<text class="axis" x="{left - 6}" y="{tick_y}" dy="4" text-anchor="end">{tick * 100:.0f}%</text>'
        )
    for i, day in enumerate(days):
        cx = left + slot * (i + 0.5)
        if i % every == 0:
            parts.append(
                f'<text class="axis" x="{_num(cx)}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{escape(day.day[5:] if len(day.day) == 10 else day.day)}</text>"
            )
        if day.quality_score is None:
            parts.append(
                f'<text class="na" x="{_num(cx)}" y="{_num(y_of(0) - 6)}" text-anchor="middle">n/a'
                f"<title>{escape(day.day)}: no records</title></text>"
            )
            continue
        y = y_of(day.quality_score)
        classes = "bar alert" if day.day in alert_days else "bar"
        tip = f"{day.day}: {pct(day.quality_score)} of {day.records} records in {day.files} files"
        parts.append(
            f'<rect class="{classes}" data-day="{escape(day.day)}" x="{_num(cx - bar_w / 2)}" y="{_num(y)}" '
            f'width="{_num(bar_w)}" height="{_num(y_of(0) - y)}"><title>{escape(tip)}</title></rect>'
        )
        if len(days) <= 2 * MAX_DAY_LABELS:
            parts.append(
                f'<text class="value" x="{_num(cx)}" y="{_num(y - 4)}" text-anchor="middle">'
                f"{escape(pct(day.quality_score, 0))}</text>"
            )
    if fail_under is not None:
        line_y = _num(y_of(fail_under))
        parts.append(
            f'<line class="threshold" x1="{left}" y1="{line_y}" x2="{WIDTH - right}" y2="{line_y}"/>'
            f'<text class="threshold-label" x="{WIDTH - right}" y="{line_y}" dy="-4" text-anchor="end">'
            f"fail under {escape(pct(fail_under, 0))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
