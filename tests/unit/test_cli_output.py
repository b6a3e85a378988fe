"""What the command line prints: tables that pipe cleanly, and a progress display only where it belongs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from rich.console import Console

from salesdq.cli import output
from salesdq.cli.output import ProgressBar
from salesdq.operators.progress import Progress
from salesdq.operators.run_summaries import RunSummary
from services.domain.redrive_batch import batch_key
from services.domain.run import Run

BOX = set("─│┃━┏┓┗┛╭╮╰╯┼╋")


def test_a_table_not_on_a_terminal_is_plain_one_row_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    reason = "the file is truncated (it ends inside a JSON value) " * 8
    output.print_table(
        ("FILE", "RECORDS", "REASON"),
        [("good.json", 3, None), ("broken.json", 0, reason.strip()), ("[bold]x[/bold].json", 12345, "")],
        numbers=("RECORDS",),
    )

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 4  # nothing wrapped, however wide
    assert "\x1b" not in out and not BOX & set(out)
    assert all(line == line.rstrip() for line in lines)
    assert lines[0].split() == ["FILE", "RECORDS", "REASON"]
    assert lines[1].split() == ["good.json", "3"]
    assert lines[2].startswith("broken.json") and lines[2].endswith(reason.strip())
    assert lines[3].split() == ["[bold]x[/bold].json", "12345"]  # data is never read as markup
    assert lines[1].index("3") + 1 == lines[3].index("12345") + 5  # numbers right-aligned


def test_the_quarantine_table_names_each_item_and_an_empty_list_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    body = {
        "id": "abc:1",
        "file": "incoming/f.json",
        "index": 1,
        "order_id": None,
        "reasons": [{"field": "contact-info", "rule": "missing", "message": "m"}],
        "attempt": 2,
        "at": "2026-11-21T10:00:00+00:00",
    }
    quarantined_at = datetime.fromisoformat(body["at"]).timestamp()
    output.print_quarantine([body], now_s=quarantined_at + 3_700)
    output.print_quarantine([])

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "FILE", "INDEX", "ORDER", "ID", "REASONS", "ATTEMPT", "AGE"]
    assert lines[1].split() == ["abc:1", "incoming/f.json", "1", "-", "contact-info:", "missing", "2", "1h"]
    assert lines[2] == "no open quarantined item"


def test_a_rejected_files_item_shows_why_and_an_empty_filter_says_what_matched_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reason = "the file is truncated (it ends inside a JSON value)"
    body = {
        "kind": "file",
        "id": "file:ab12:exec-1",
        "file": "incoming/t.json",
        "file_id": "ab12",
        "reasons": [{"field": "$file", "rule": "file_rejected", "message": reason}],
        "attempt": 1,
        "at": "2026-11-21T10:00:00+00:00",
    }
    output.print_quarantine([body], now_s=datetime.fromisoformat(body["at"]).timestamp() + 61)
    output.print_quarantine([], filters="--file 9f3e0c1d --rule email")

    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["file:ab12:exec-1", "incoming/t.json", "-"]
    assert f"file_rejected: {reason}" in lines[1]
    assert lines[2] == "no open quarantined item matches --file 9f3e0c1d --rule email"


def test_no_runs_says_so_with_the_status_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    output.print_runs([])
    output.print_runs([], "failed")
    assert capsys.readouterr().out.splitlines() == ["no runs", "no failed runs"]


def test_a_run_is_listed_by_its_file_name_file_id_and_id(capsys: pytest.CaptureFixture[str]) -> None:
    run = Run(file_id="73c80e298cfa3095" * 4, file="incoming/sales.json", id="2026-01-02T03:04:05.678Z", execution="e")
    output.print_runs([RunSummary(run, "failed", records=3, reason="it stopped")])
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert row[:4] == ["sales.json", "73c80e298cfa", "2026-01-02T03:04:05.678Z", "failed"]


def test_a_redrive_batch_is_listed_as_one_not_as_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A batch's run reads `redrive/<request id>.jsonl` (its Run.file): runs, history and redrive --wait name it a
    redrive batch by its request id; an upload keeps its file's name (runs) or key (history)."""
    request = "1b4060567aca421be0e75f9ead3d540c-0"
    batch = Run(file_id="f" * 64, file=batch_key(request), id="2026-01-02T03:04:05.678Z", execution="redrive-x")
    upload = Run(file_id="a" * 64, file="incoming/sales.json", id="2026-01-01T00:00:00.000Z", execution="e")
    output.print_runs([RunSummary(upload, "completed", records=3), RunSummary(batch, "completed", records=2)])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [row[:2] for row in rows[:1]] + [row[:3] for row in rows[1:]] == [
        ["sales.json", "a" * 12],
        ["redrive", "batch", request],
    ]

    event = {"at": batch.id, "event": "record.stored", "index": 0, "attempt": 2}
    output.print_history([event | {"file": batch.file}, event | {"file": upload.file}])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [row[2:5] for row in rows] == [["redrive", "batch", request], ["incoming/sales.json", "0", "2"]]

    done = {"file": batch.file, "status": "completed", "stored": 2, "duplicates": 0, "quarantined": 0}
    output.print_redrive({"redriven": ["x:1", "x:2"], "refused": [], "results": [done]})
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"  redrive batch {request}: completed, 2 stored, 0 duplicates, 0 quarantined again"
    )


def test_progress_is_drawn_only_when_asked_or_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with output.progress_display("never") as never, output.progress_display("auto") as auto:
        assert type(never) is Progress and type(auto) is Progress  # capsys's stderr is no terminal
        assert not never.wants_records and not auto.wants_records
    with output.progress_display("always") as always:
        assert isinstance(always, ProgressBar) and always.wants_records
    assert capsys.readouterr().out == ""


def test_the_progress_bar_shows_records_done_rate_and_time_left_only_once_known() -> None:
    stream = io.StringIO()
    bar = ProgressBar(Console(file=stream, force_terminal=True, width=160))
    bar.update("f.json", note="3 Lambda calls")
    task = bar._bar.tasks[0]
    assert task.total is None and task.description == "f.json"
    assert "records" not in _columns(bar)

    bar.update("f.json", done=0, total=1_000)
    bar.update("f.json", done=400, total=1_000)
    assert "400/1,000 records" in _columns(bar)

    bar.finish("f.json")
    assert bar._bar.tasks == []
    bar.done()
    bar.done()  # twice is harmless: the command line stops it again on its way out


def _columns(bar: ProgressBar) -> str:
    task = bar._bar.tasks[0]
    return " ".join(str(column.render(task)) for column in bar._bar.columns if not isinstance(column, str))


def test_a_cell_with_a_tab_or_a_newline_stays_in_its_column_on_its_row(capsys: pytest.CaptureFixture[str]) -> None:
    """A run of a file named with a tab (uploaded by another tool: salesdq refuses such names) and a reason
    holding a newline: each shown escaped, one row a line, the columns where the header puts them."""
    output.print_table(
        ("FILE", "STATUS", "REASON"),
        [("tab\there.json", "rejected", "line one\nline two"), ("plain.json", "completed", None)],
    )

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[1].split() == ["tab\\there.json", "rejected", "line", "one\\nline", "two"]
    assert lines[0].index("STATUS") == lines[1].index("rejected") == lines[2].index("completed")


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"a": [1, {"b": "x\ny"}]}, {"c": None}, "é\u2028"]])
def test_a_streamed_json_document_is_one_document_with_its_list_written_as_it_comes(
    capsys: pytest.CaptureFixture[str], items: list[object]
) -> None:
    told: list[int] = []

    def tail() -> dict[str, object]:
        told.append(len(items))
        return {"count": len(items), "empty": {}}

    def given() -> Iterator[object]:
        yield from items
        assert told == []  # the tail is asked once the list is done

    output.print_json_streaming({"head": "h", "window": {"since": None}}, "files", given(), tail)
    out = capsys.readouterr().out
    assert json.loads(out) == {"head": "h", "window": {"since": None}, "files": items, "count": len(items), "empty": {}}
    assert out.endswith("}\n") and told == [len(items)]


def test_a_count_of_one_says_its_noun_in_the_singular() -> None:
    assert [output.counted(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert output.counted(1204, "record") == "1,204 records"
