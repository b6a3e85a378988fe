"""Rich output for a pipe or a file: one way for every table the command line prints (`quarantine list`, `runs`,
`report`). A pipe has no width, so nothing is wrapped or folded (`salesdq report | grep` and `awk` read one
row a line, an id whole); no colour, no box characters, no trailing blanks."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

NOT_A_TERMINAL_WIDTH = 1_000_000  # wider than any row: rows are never wrapped


def render_plain(draw: Callable[[Console], None]) -> str:
    """What `draw` prints on a console as wide as any row, as plain lines without trailing blanks."""
    console = Console(width=NOT_A_TERMINAL_WIDTH, color_system=None, force_terminal=False)
    with console.capture() as captured:
        draw(console)
    return "".join(line.rstrip() + "\n" for line in captured.get().splitlines())
