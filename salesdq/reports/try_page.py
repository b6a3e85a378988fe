"""`salesdq contract try --html FILE`: the what-if of a proposed contract as one self-contained page, in the
report page's style (html_page.py: its stylesheet, its Content-Security-Policy, no script, every value escaped):
the totals then and under the proposal, the records that would change by direction with their rules, fields and
example quarantine ids, and one row a file tried."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from salesdq.reports import text
from salesdq.reports.html_page import CSP, FILE_ID_CHARS, STYLE

EXTRA_STYLE = """
.totals .worse dd { color: var(--bad); }
.totals .better dd { color: var(--good); }
td.counts { min-width: 10em; }
tr.changed { background: var(--warn-bg); }
.example { display: block; }
.example code { display: inline; }
"""


def render_try_html(found: dict[str, Any], fail_under: float | None = None) -> str:
    """`found`: the document --json prints, each file without its `changes` (the page shows examples)."""
    title = f"Contract try: {found['contract']}"
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}{EXTRA_STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="window">{escape(_window(found["window"]))}</p></header>\n'
    )
    body = "\n".join((_totals(found["total"], fail_under), _directions(found["total"]), _files(found)))
    footer = '<footer><p class="settings">A what-if: nothing was written.</p></footer>\n'
    return head + "<main>\n" + body + "\n</main>\n" + footer + "</body>\n</html>\n"


def write_try_html(found: dict[str, Any], path: Path | str, fail_under: float | None = None) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_try_html(found, fail_under), encoding="utf-8")
    return out


def _window(window: dict[str, Any]) -> str:
    days = f"Files that arrived from {window['since'] or 'the start'} to {window['until'] or 'today'} (UTC)"
    return days + (f", only {window['file']}" if window["file"] else "")


def _totals(total: dict[str, Any], fail_under: float | None) -> str:
    then, now = total["score_then"], total["score_now"]
    trend = "" if then is None or now is None or then == now else ("worse" if now < then else "better")
    cells = [
        ("Files", str(total["files"]), ""),
        ("Records", str(total["records"]), ""),
        ("Would change", str(total["changed"]), ""),
        ("Score then", text.pct(then), "score"),
        ("Score under the proposal", text.pct(now), f"score {trend}".strip()),
    ]
    items = "".join(
        f'<div class="{cls}" id="total-{escape(k.lower().replace(" ", "-"))}"><dt>{escape(k)}</dt>'
        f"<dd>{escape(v)}</dd></div>"
        for k, v, cls in cells
    )
    warning = ""
    if fail_under is not None and now is not None and now < fail_under:
        warning = (
            f'<p class="fail-under">Under the proposal the score is below the fail-under threshold of '
            f"{escape(text.pct(fail_under))}.</p>"
        )
    return f'<section id="totals"><h2>Totals</h2><dl class="totals">{items}</dl>{warning}</section>'


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{escape(name)} {count}" for name, count in sorted(counts.items()))


def _directions(total: dict[str, Any]) -> str:
    if not total["directions"]:
        return '<section id="changes"><h2>Changes</h2><p class="no-alerts">No record would change.</p></section>'
    rows = "".join(
        f'<tr class="direction"><td>{escape(direction)}</td><td class="num">{entry["records"]}</td>'
        f'<td class="counts">{_counts(entry["by_rule"])}</td><td class="counts">{_counts(entry["by_field"])}</td>'
        '<td class="examples">'
        + "".join(
            f'<span class="example">{escape(str(e["order_id"]))}: <code>{escape(e["quarantine_id"])}</code></span>'
            for e in entry["examples"]
        )
        + "</td></tr>"
        for direction, entry in total["directions"].items()
    )
    head = (
        '<thead><tr><th>Change</th><th class="num">Records</th><th>By rule</th><th>By field</th>'
        "<th>Examples (order id: quarantine id)</th></tr></thead>"
    )
    return (
        f'<section id="changes"><h2>Changes ({total["changed"]})</h2>'
        f'<table id="changes-table">{head}<tbody>{rows}</tbody></table></section>'
    )


def _files(found: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr class="{"changed" if f["changed"] else "same"}"><td class="file">{escape(f["file"])}<br>'
        f'<small title="{escape(f["file_id"])}">{escape(f["file_id"][:FILE_ID_CHARS])}</small></td>'
        f'<td>{escape(f["kind"])}</td><td class="when">{escape(f["arrived"])}</td>'
        f'<td class="num">{f["records"]}</td><td class="num">{escape(text.pct(f["score_then"]))}</td>'
        f'<td class="num">{escape(text.pct(f["score_now"]))}</td><td class="num">{f["changed"]}</td></tr>'
        for f in found["files"]
    )
    rows += "".join(
        f'<tr class="status-failed"><td class="file">{escape(f["file"])}<br>'
        f'<small title="{escape(f["file_id"])}">{escape(f["file_id"][:FILE_ID_CHARS])}</small></td>'
        f'<td colspan="6">not judged: {escape(f["why"].replace("_", " "))}</td></tr>'
        for f in found["not_judged"]
    )
    head = (
        '<thead><tr><th>File</th><th>Kind</th><th>Arrived</th><th class="num">Records</th>'
        '<th class="num">Score then</th><th class="num">Score under the proposal</th>'
        '<th class="num">Would change</th></tr></thead>'
    )
    count = len(found["files"]) + len(found["not_judged"])
    return (
        f'<section id="files"><h2>Files ({count})</h2>'
        f'<table id="files-table">{head}<tbody>{rows}</tbody></table></section>'
    )
