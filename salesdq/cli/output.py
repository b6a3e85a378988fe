"""Everything the command line prints: JSON documents, tables, and the progress display.

Tables are rich tables without borders. On a terminal rich fits them to its width, header in bold; anywhere
else (a pipe, a file) they are plain text, never wrapped, with no box characters, colour codes or trailing
blanks, so `salesdq quarantine list | grep ...` and `awk` read one row a line. The progress display is a rich progress
bar on stderr: records done, records/s and time left where the audit log says how many records a file has.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rich import progress as rich_progress
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from salesdq.operators.progress import Progress
from salesdq.operators.run_summaries import RunSummary
from salesdq.plain_text import render_plain
from services.domain import json_codec, quarantine_message, redrive_batch

# ---------------------------------------------------------------- documents


def shown(text: object) -> str:
    """`text` on one line: control characters (a newline, a tab, an escape) written as Python escapes them,
    so a message or a table cell naming them stays one line of the columns it is in."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def counted(number: int, noun: str) -> str:
    """`1 file`, `2 files`, `1,204 records`: a count and its noun, singular for one."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_json(data: Any) -> None:
    """Exactly one JSON document on stdout."""
    print(json_codec.dumps(data, indent=2))


def print_jsonl(lines: Iterable[Any], file: IO[str] | None = None) -> int:
    """JSON Lines, one document a line, on stdout or `file`; returns how many."""
    out = file or sys.stdout
    count = 0
    for line in lines:
        out.write(json_codec.dumps(line, spaced=True) + "\n")
        count += 1
    return count


# ---------------------------------------------------------------- contracts


def print_contract(found: dict[str, Any]) -> None:
    """What a contract enforces: one line a field, its checks and the rule each failure is named by."""
    print(f"{found['file']}: valid ODCS, contract {found['contract']} (id {found['id']})")
    print("enforces, per field (rule in brackets; a warning stores the record and records the warning):")
    for field in found["enforces"]:
        checks = (
            "; ".join(
                f"{r['check']} [{r['rule']}{', warning' if r['severity'] == 'warning' else ''}]" for r in field["rules"]
            )
            or "nothing (documented only)"
        )
        print(f"  {field['field']}: {checks}")
    if found["file_rules"]:
        print("per file, once a run has judged its records (an error rejects the file, a warning alerts):")
        for rule in found["file_rules"]:
            print(f"  {rule['check']} [{rule['rule']}, {rule['severity']}]")
    print("built in, whatever the contract says:")
    for rule in found["built_in"]:
        print(f"  {rule}")
    if found["not_enforced"]:
        print(f"read as a description, not enforced: {', '.join(found['not_enforced'])}")


def print_contract_diff(changes: Sequence[dict[str, str]]) -> None:
    if not changes:
        print("no changes")
        return
    print_table(("kind", "field", "change"), ((c["kind"], c["field"], c["change"]) for c in changes))


def print_contract_try_head(head: dict[str, Any]) -> None:
    window = head["window"]
    days = f"from {window['since'] or 'the start'} to {window['until'] or 'today'}"
    named = f", only {window['file']}" if window["file"] else ""
    print(f"contract {head['contract']} tried on the files that arrived {days}{named} (a what-if: nothing written)")


def print_contract_try_file(entry: dict[str, Any]) -> None:
    """One file tried: one line, as it is judged."""
    print(
        f"{shown(entry['file'])} ({entry['file_id'][:12]}, {entry['kind']}, arrived {entry['arrived']}): "
        f"{entry['records']:,} records, score {entry['score_then']} -> {entry['score_now']}, "
        f"{entry['changed']:,} would change"
    )


def print_not_judged(entry: dict[str, Any]) -> None:
    why = {"not_retained": "its retained bytes are gone", "no_outcomes": "its run recorded no outcome"}
    print(f"{shown(entry['file'])} ({entry['file_id'][:12]}): not judged, {why.get(entry['why'], entry['why'])}")


def print_contract_try_total(total: dict[str, Any]) -> None:
    """The files tried in total, and the records that would change by direction, rule and field, with examples."""
    if not total["files"]:
        print("no file to judge: none that was read arrived in this window")
        return
    print(
        f"total: {counted(total['files'], 'file')}, {counted(total['records'], 'record')}; "
        f"score then {total['score_then']}, under the proposal {total['score_now']}; {total['changed']:,} would change"
    )
    rows = []
    for direction, entry in total["directions"].items():
        rules = ", ".join(f"{rule} {count}" for rule, count in sorted(entry["by_rule"].items()))
        fields = ", ".join(f"{name} {count}" for name, count in sorted(entry["by_field"].items()))
        examples = ", ".join(f"{shown(e['order_id'])} ({e['file_id'][:12]} #{e['index']})" for e in entry["examples"])
        rows.append((direction, entry["records"], rules, fields, examples))
    if rows:
        header = ("change", "records", "by rule", "by field", "examples (order id, file id #index)")
        print_table(header, rows, numbers=("records",))


def print_json_streaming(
    head: dict[str, Any], key: str, items: Iterable[Any], tail: Callable[[], dict[str, Any]]
) -> None:
    """Exactly one JSON document on stdout, `head`'s keys, then the list `key` written item by item as the items
    come (a long list is never held whole), then `tail()`'s keys, asked once the list is done."""
    out = sys.stdout
    out.write("{\n")
    for name, value in head.items():
        out.write(f"  {json_codec.dumps(name)}: {_indented(value)},\n")
    out.write(f"  {json_codec.dumps(key)}: [")
    for count, item in enumerate(items):
        out.write(("," if count else "") + "\n    " + _indented(item, 4))
    out.write("\n  ]")
    for name, value in tail().items():
        out.write(f",\n  {json_codec.dumps(name)}: {_indented(value)}")
    out.write("\n}\n")
    out.flush()


def _indented(value: Any, by: int = 2) -> str:
    return json_codec.dumps(value, indent=2).replace("\n", "\n" + " " * by)


# ---------------------------------------------------------------- tables


def print_table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, numbers: Sequence[str] = ()) -> None:
    """A table on stdout; the columns named in `numbers` are right-aligned. None prints as an empty cell."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in header:
        table.add_column(name, justify="right" if name in numbers else "left")
    for row in rows:
        table.add_row(*(Text("" if cell is None else shown(cell)) for cell in row))  # Text: no markup in data
    console = Console()
    if console.is_terminal:
        console.print(table)
        return
    sys.stdout.write(render_plain(lambda plain: plain.print(table)))


def run_source(key: str, *, name_only: bool = True) -> str:
    """What a run read, as a table names it: an upload by its file's name (or key), a redrive batch as one (its
    `Run.file` is its key under redrive/, but it is no file an operator uploaded)."""
    return redrive_batch.named(key) or (Path(key).name if name_only else key)


def print_summary(summary: dict[str, Any]) -> None:
    """What became of each file, a total row, and (on the embedded engine, which meters) speed and cost."""
    header = ("FILE", "STATUS", "RECORDS", "STORED", "DUPLICATES", "QUARANTINED", "REASON")
    rows: list[tuple[Any, ...]] = [
        (run_source(f["file"]), f["status"], f["records"], f["stored"], f["duplicates"], f["quarantined"], f["reason"])
        for f in summary["files"]
    ]
    t = summary["totals"]
    totals = (t["records"], t["stored"], t["duplicates"], t["quarantined"])
    rows.append(("total", counted(t["files"], "file"), *totals, None))
    print_table(header, rows, numbers=header[2:6])
    usage = summary.get("usage")
    if usage is not None:  # metered only on the embedded engine
        rate = t["records"] / summary["elapsed_s"] if summary["elapsed_s"] else 0.0
        timings = summary.get("timings") or {}
        split = ""
        if timings.get("export_s") is not None:
            split = f" (run {timings['run_s']:.2f} s, export {timings['export_s']:.2f} s)"
        print()
        print(
            f"{summary['elapsed_s']:.2f} s{split}, {rate:.0f} records/s; AWS list price for this run "
            f"${usage['total_usd']:.6f} (${usage['usd_per_million_records']:.2f} per million records)"
        )


def age(at: str | None, now_s: float) -> str:
    """How long ago `at` (an ISO time) was, as `quarantine list` shows it; "-" when unknown."""
    if not at:
        return "-"
    seconds = max(0, int(now_s - datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def print_quarantine(bodies: Iterable[dict[str, Any]], now_s: float | None = None, filters: str = "") -> None:
    """Each quarantined item: its id, file, index, order id, failed rules (a rejected file's with the reason),
    attempt and age (since the run that quarantined it started). `filters`: the options that narrowed the list,
    named when nothing matched them."""
    now = time.time() if now_s is None else now_s
    rows = [
        (
            body["id"],
            body.get("file"),
            body.get("index", "-"),
            body.get("order_id") or "-",
            _reasons(body),
            body.get("attempt", 1),
            age(body.get("at"), now),
        )
        for body in bodies
    ]
    if not rows:
        print(f"no open quarantined item matches {filters}" if filters else "no open quarantined item")
        return
    print_table(
        ("ID", "FILE", "INDEX", "ORDER ID", "REASONS", "ATTEMPT", "AGE"), rows, numbers=("INDEX", "ATTEMPT", "AGE")
    )


def _reasons(body: dict[str, Any]) -> str:
    """A record's failed rules; a rejected file's rule with why (the message is all it has to say)."""
    if body.get("kind") == quarantine_message.Kind.FILE:
        return "; ".join(f"{r['rule']}: {r['message']}" for r in body.get("reasons", []))
    return quarantine_message.rules_summary(body)


def print_runs(runs: Sequence[RunSummary], status: str | None = None) -> None:
    """One row per run (an upload's or a redrive batch's); none says so, and which status was asked for."""
    if not runs:
        print(f"no {status} runs" if status else "no runs")
        return
    rows = [
        (
            run_source(r.run.file),
            r.run.file_id[:12],
            r.run.id,
            f"{r.status}/resolved" if r.resolved else r.status,  # a rejected file an operator closed
            r.records,
            r.stored,
            r.duplicates,
            r.quarantined,
            r.reason or "",
        )
        for r in runs
    ]
    print_table(
        ("FILE", "FILE ID", "AT", "STATUS", "RECORDS", "STORED", "DUPLICATES", "QUARANTINED", "REASON"),
        rows,
        numbers=("RECORDS", "STORED", "DUPLICATES", "QUARANTINED"),
    )


def print_history(events: Sequence[dict[str, Any]]) -> None:
    rows = [
        (
            e.get("at"),
            e.get("event"),
            run_source(str(e["file"]), name_only=False) if e.get("file") else None,
            e.get("index"),
            e.get("attempt"),
            quarantine_message.rules_summary(e),
        )
        for e in events
    ]
    print_table(("AT", "EVENT", "FILE", "INDEX", "ATTEMPT", "REASONS"), rows, numbers=("INDEX", "ATTEMPT"))


MAX_IDS_SHOWN = 10  # ids printed per kind of drift; --json holds them all


def print_verification(found: dict[str, Any]) -> None:
    """`audit verify`: one row per projection, then the ids of each kind of drift."""
    kinds = ("missing", "extra", "changed")
    rows = [
        (name, found[name]["expected"], found[name]["actual"], *(len(found[name][k]) for k in kinds))
        for name in ("orders", "quarantine")
    ]
    print_table(
        ("PROJECTION", "IN THE LOG", "IN THE STORE", "MISSING", "EXTRA", "CHANGED"),
        rows,
        numbers=("IN THE LOG", "IN THE STORE", "MISSING", "EXTRA", "CHANGED"),
    )
    for name in ("orders", "quarantine"):
        for kind in kinds:
            if found[name][kind]:
                print(f"{name} {kind}: {some_ids(found[name][kind])}")
    for held in found.get("held", []):
        print(held_by(held))
    print(
        "drift: the stores differ from the audit log"
        if found["drift"]
        else "no drift: the stores agree with the audit log"
    )


def some_ids(ids: list[str]) -> str:
    """The first MAX_IDS_SHOWN ids, and how many more."""
    more = f" (and {len(ids) - MAX_IDS_SHOWN:,} more)" if len(ids) > MAX_IDS_SHOWN else ""
    return shown(", ".join(ids[:MAX_IDS_SHOWN])) + more  # an id may hold a control character


def held_by(held: dict[str, Any]) -> str:
    """What a failed or running run wrote before its events: not drift, and how it ends."""
    run, short = f"{held['status']} run of {held['file']} ({held['file_id'][:12]}, {held['at']})", held["file_id"][:12]
    lines = [f"{name} held by the {run}: {some_ids(held[name])}" for name in ("orders", "quarantine") if held[name]]
    if held["status"] == "failed":
        lines.append(f"  not drift: written before the run failed; `salesdq runs retry {short}` finishes it")
    else:
        lines.append("  not drift: the run is writing them; verify again once it ends")
    return "\n".join(lines)


def print_repair(done: dict[str, Any]) -> None:
    print_verification(done["verify"])
    left = done["left"]["extra"]
    if done["applied"]:
        print(f"restored {len(done['restored']):,} orders from the audit log: {', '.join(done['restored']) or 'none'}")
    else:
        print(
            f"would restore {len(done['restore']):,} orders: {', '.join(done['restore']) or 'none'} (--yes writes them)"
        )
    if left:
        print(f"left alone: {len(left):,} orders the audit log does not know: {', '.join(left[:MAX_IDS_SHOWN])}")


def print_what_if(found: dict[str, Any]) -> None:
    """A replay's dry-run: counts then (the run replayed) and now, then each record whose outcome changes."""
    print(
        f"{found['file']} ({found['file_id'][:12]}): {found['records']} records, the run of {found['replays']} "
        f"against contract {found['contract']} (dry run: nothing written)"
    )
    outcomes = ("stored", "duplicate", "quarantined")
    print_table(
        ("", *(o.upper() for o in outcomes)),
        [("then", *(found["then"][o] for o in outcomes)), ("now", *(found["now"][o] for o in outcomes))],
        numbers=tuple(o.upper() for o in outcomes),
    )
    changed = found["changed"]
    print(f"{len(changed)} record{' changes' if len(changed) == 1 else 's change'}")
    if changed:
        rows = [
            (
                c["index"],
                c["order_id"],
                c["was"],
                c["now"],
                ", ".join(f"{r['field']}: {r['rule']}" for r in c["reasons"]) or ", ".join(c["was_rules"]),
            )
            for c in changed
        ]
        print_table(("INDEX", "ORDER ID", "WAS", "NOW", "REASONS (now, else then)"), rows, numbers=("INDEX",))


def print_replay(result: dict[str, Any]) -> None:
    """A replay's run, as `upload --wait` prints a file's, and the run it replayed."""
    under = f", under contract {result['contract']}" if result.get("contract") else ""
    print(f"replay of the run of {result['replay_of']['at']} ({result['replay_of']['execution']}){under}")
    summary = {"files": [result], "totals": _file_totals(result)}
    print_summary(summary)


def _file_totals(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("records", "stored", "duplicates", "quarantined")
    return {"files": 1, **{k: result[k] for k in keys}}


def print_redrive(outcome: dict[str, Any]) -> None:
    already = outcome.get("already", [])
    print(f"redriven: {len(outcome['redriven'])}, refused: {len(outcome['refused'])}, already redriven: {len(already)}")
    for refusal in outcome["refused"]:
        print(f"  refused {refusal['id']}: {refusal['error']}: {refusal['message']}")
    for done in already:
        by = f" ({done['by']})" if done.get("by") else ""
        print(f"  already redriven {done['id']}: {done['outcome']}{by}")
    for f in outcome.get("results", []):
        under = f" under contract {f['contract']}" if f.get("contract") else ""
        print(
            f"  {run_source(f['file'])}: {f['status']}, {f['stored']} stored, {f['duplicates']} duplicates, "
            f"{f['quarantined']} quarantined again{under}"
        )
    if outcome.get("contract"):
        print(f"judged under contract {outcome['contract']} (the active one)")


# ---------------------------------------------------------------- progress


class _Records(rich_progress.ProgressColumn):
    def render(self, task: rich_progress.Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,} records")


class _Rate(rich_progress.ProgressColumn):
    def render(self, task: rich_progress.Task) -> Text:
        speed = task.speed  # over the last samples; None until two reads apart show records done
        return Text("" if task.total is None or speed is None else f"{speed:,.0f} records/s")


class _TimeLeft(rich_progress.ProgressColumn):
    def render(self, task: rich_progress.Task) -> Text:
        left = task.time_remaining if task.total is not None else None
        if left is None:
            return Text("")
        minutes, seconds = divmod(int(left), 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"{hours}:{minutes:02d}:{seconds:02d} left")


class ProgressBar(Progress):
    """A rich progress bar on stderr, one line per execution followed; cleared when done."""

    wants_records = True

    def __init__(self, console: Console) -> None:
        def one_line() -> Column:  # a narrow screen cuts a column short rather than wrap the display
            return Column(no_wrap=True, overflow="ellipsis")

        self._bar = rich_progress.Progress(
            rich_progress.TextColumn("{task.description}", table_column=one_line()),
            rich_progress.BarColumn(bar_width=24),
            _Records(table_column=one_line()),
            _Rate(table_column=one_line()),
            rich_progress.TimeElapsedColumn(table_column=one_line()),
            _TimeLeft(table_column=one_line()),
            rich_progress.TextColumn("{task.fields[note]}", table_column=one_line()),
            console=console,
            transient=True,
            refresh_per_second=2,  # the engine shares this process: a quiet display leaves it the CPU
            redirect_stdout=False,  # stdout is the command's output (one JSON document with --json)
            redirect_stderr=False,
        )
        self._tasks: dict[str, rich_progress.TaskID] = {}
        self._running = False

    def update(self, label: str, *, done: int | None = None, total: int | None = None, note: str = "") -> None:
        if not self._running:
            self._bar.start()
            self._running = True
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._bar.add_task(label, total=None, note=note)
        if total is None:
            self._bar.update(task, note=note)
        else:
            # The first count is not a rate: records an earlier run finished are in it (rich skips it too).
            self._bar.update(task, total=total, completed=done or 0, note=note)

    def finish(self, label: str) -> None:
        task = self._tasks.pop(label, None)
        if task is not None:
            self._bar.remove_task(task)

    def done(self) -> None:
        if self._running:
            self._bar.stop()
            self._running = False


@contextmanager
def progress_display(when: str) -> Iterator[Progress]:
    """--progress: `auto` draws on stderr when rich says it is a terminal, `always` draws anyway, `never`
    draws nothing (and nothing is read for it)."""
    console = Console(stderr=True, force_terminal=True if when == "always" else None)
    shown = when == "always" or (when == "auto" and console.is_terminal)
    progress = ProgressBar(console) if shown else Progress()
    try:
        yield progress
    finally:
        progress.done()
