"""The report as one self-contained HTML page: alerts first, then the totals, the charts and the files table.

Nothing leaves the file: the stylesheet is inline, the charts are inline SVG drawn in svg.py, the fonts are the
reader's own, there is no script at all, and a Content-Security-Policy forbids loading anything should a value
ever get through unescaped. Every value from the report is escaped (file names and reasons come from users).
The page reads the same printed: a print stylesheet, nothing hidden, nothing that needs JavaScript.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from salesdq.reports import text
from salesdq.reports.model import FileEntry, Report
from salesdq.reports.svg import Bar, horizontal_bars, score_by_day

# Nothing may load from anywhere: inline styles (the page's own) and nothing else.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
FILE_ID_CHARS = 12  # of a file's sha256 shown under its name; the whole id is its title

STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --bar: #3569b5; --bad: #b3261e; --bad-bg: #fdecea;
  --good: #1e7a46; --good-bg: #e8f5ed; --warn-bg: #fff6df; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 40px; color: var(--ink); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.window, .settings { color: var(--muted); margin: 0; }
footer { margin-top: 24px; }
.empty { font-size: 18px; padding: 18px 20px; border: 1px solid var(--line); border-radius: 6px; background: #f6f7f9; }
.alerts { list-style: none; margin: 0; padding: 0; }
.alert { border-left: 5px solid var(--bad); background: var(--bad-bg); padding: 8px 12px; margin: 0 0 6px;
  border-radius: 0 4px 4px 0; }
.alert .kind { font-weight: 600; color: var(--bad); text-transform: uppercase; font-size: 11px; margin-right: 8px; }
.no-alerts { border-left: 5px solid var(--good); background: var(--good-bg); padding: 8px 12px; margin: 0; }
.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(128px, 1fr)); gap: 10px; margin: 0; }
.totals div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.totals dt { color: var(--muted); font-size: 12px; }
.totals dd { margin: 0; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.totals .score dd { color: var(--bar); }
.fail-under { color: var(--bad); font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr; gap: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis, svg .value, svg .na { fill: var(--muted); }
svg .label { fill: var(--ink); }
svg .bar { fill: var(--bar); }
svg .bar.alert { fill: var(--bad); }
svg .threshold { stroke: var(--bad); stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .threshold-label { fill: var(--bad); font-weight: 600; }
.legend { color: var(--muted); font-size: 12px; margin: 2px 0 0; }
.legend .swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: -1px; }
.legend .swatch-score { background: var(--bar); }
.legend .swatch-alert { background: var(--bad); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.file { min-width: 16em; overflow-wrap: anywhere; }
td.file small, code { color: var(--muted); font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td.when { white-space: nowrap; }
td.text { min-width: 12em; overflow-wrap: anywhere; }
tr.status-rejected, tr.status-failed { background: var(--bad-bg); }
tr.status-duplicate { background: var(--warn-bg); }
tr:not(.status-completed) .status { font-weight: 600; }
.examples code { display: block; word-break: break-all; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  section.chart-block, .alert, .totals div, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 8.5pt; }
}
"""


def render_html(report: Report) -> str:
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(text.title(report))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        "<header><h1>Data-quality report</h1>"
        f'<p class="window">{escape(text.window_text(report.window))}</p></header>\n'
    )
    if report.empty:
        body = f'<main><p id="empty" class="empty">{escape(text.empty_text(report))}</p></main>\n'
    else:
        body = (
            "<main>\n" + "\n".join((_alerts(report), _totals(report), _charts(report), _files(report))) + "\n</main>\n"
        )
    footer = f'<footer><p class="settings">{escape(text.settings_text(report))}</p></footer>\n'
    return head + body + footer + "</body>\n</html>\n"


def write_html(report: Report, path: Path | str) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out


def _alerts(report: Report) -> str:
    if not report.alerts:
        return '<section id="alerts"><h2>Alerts</h2><p class="no-alerts">No alerts.</p></section>'
    items = "".join(
        f'<li class="alert alert-{escape(a.kind)}"><span class="kind">{escape(a.kind)}</span>{escape(a.reason)}</li>'
        for a in report.alerts
    )
    return f'<section id="alerts"><h2>Alerts ({len(report.alerts)})</h2><ul class="alerts">{items}</ul></section>'


def _totals(report: Report) -> str:
    t = report.totals
    cells = [
        ("Files", str(t.files), ""),
        ("Records", str(t.records), ""),
        ("Stored", str(t.stored), ""),
        ("Duplicates", str(t.duplicates), ""),
        ("Quarantined", str(t.quarantined), ""),
        ("Redriven", str(t.redriven), ""),
        ("Quality score", text.pct(t.quality_score), "score"),
        ("Score now", text.pct(t.quality_score_now), "score"),
    ]
    items = "".join(f'<div class="{cls}"><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>' for k, v, cls in cells)
    warning = ""
    if text.below_fail_under(report):
        warning = (
            f'<p class="fail-under">The quality score is below the fail-under threshold of '
            f"{escape(text.pct(report.settings.fail_under))}.</p>"
        )
    return f'<section id="totals"><h2>Totals</h2><dl class="totals">{items}</dl>{warning}</section>'


def _charts(report: Report) -> str:
    alert_days = {a.day for a in report.alerts if a.kind == "day" and a.day}
    trend = score_by_day(
        "chart-score-by-day",
        "Quality score by day",
        report.days,
        fail_under=report.settings.fail_under,
        alert_days=alert_days,
    )
    legend = (
        '<p class="legend"><span class="swatch swatch-score"></span>quality score'
        '<span class="swatch swatch-alert"></span>a day with an alert'
        + (" &middot; dashed: the fail-under threshold" if report.settings.fail_under is not None else "")
        + "</p>"
    )
    by_rule = [Bar(r.rule, r.count, r.share) for r in report.failures.by_rule]
    by_field = [Bar(f.field, f.count, f.share) for f in report.failures.by_field]
    return (
        '<section id="trend" class="chart-block"><h2>Quality score by day</h2>'
        + trend
        + legend
        + "</section>\n"
        + _bars_block("failures-by-rule", "Failures by rule", by_rule, _examples(report))
        + "\n"
        + _bars_block("failures-by-field", "Failures by field", by_field, "")
        + _warnings_block(report)
    )


def _warnings_block(report: Report) -> str:
    """Rules of severity warning, apart from failures (their records were stored); only when any warned."""
    if not report.warnings:
        return ""
    bars = [Bar(w.rule, w.count, w.share) for w in report.warnings]
    return "\n" + _bars_block("warnings-by-rule", "Warnings by rule (records stored)", bars, "")


def _bars_block(block_id: str, caption: str, bars: list[Bar], after: str) -> str:
    chart = horizontal_bars(f"chart-{block_id}", caption, bars) if bars else '<p class="none">No failures.</p>'
    return f'<section id="{block_id}" class="chart-block"><h2>{escape(caption)}</h2>{chart}{after}</section>'


def _examples(report: Report) -> str:
    """The quarantine ids behind each rule, for `salesdq quarantine export` (the chart gives counts, an operator
    wants records)."""
    rows = "".join(
        f'<tr><td>{escape(r.rule)}</td><td class="examples">'
        + "".join(f"<code>{escape(x)}</code>" for x in r.examples)
        + "</td></tr>"
        for r in report.failures.by_rule
        if r.examples
    )
    if not rows:
        return ""
    head = "<thead><tr><th>Rule</th><th>Example quarantine ids</th></tr></thead>"
    return f'<table class="examples-table">{head}<tbody>{rows}</tbody></table>'


def _files(report: Report) -> str:
    header = "".join(
        f'<th class="num">{escape(c.header)}</th>' if c.numeric else f"<th>{escape(c.header)}</th>"
        for c in text.FILE_COLUMNS
    )
    rows = "".join(_file_row(entry) for entry in report.files)
    return (
        f'<section id="files"><h2>Files ({len(report.files)})</h2>'
        f'<table id="files-table"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></section>'
    )


def _file_row(entry: FileEntry) -> str:
    cells = []
    for column in text.FILE_COLUMNS:
        value = escape(column.value(entry))
        if column.header == "File":
            short = escape(entry.file_id[:FILE_ID_CHARS])
            cells.append(f'<td class="file">{value}<br><small title="{escape(entry.file_id)}">{short}</small></td>')
        elif column.header == "Arrived":
            cells.append(f'<td class="when" title="{escape(entry.at)}">{value}</td>')
        elif column.header == "Status":
            cells.append(f'<td class="status">{value}</td>')
        else:
            cells.append(f'<td class="{"num" if column.numeric else "text"}">{value}</td>')
    return f'<tr class="status-{escape(entry.status)}">{"".join(cells)}</tr>'
