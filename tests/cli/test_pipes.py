"""A command whose reader leaves (`salesdq ... | head -1`): it stops quietly, exit 1, with nothing on stderr;
neither a "[Errno 32] Broken pipe" line (BrokenPipeError is an OSError, which the command line reports) nor
the interpreter's "Exception ignored" at exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["contract", "check", str(ROOT / "contracts" / "sales.odcs.yaml")],  # short: written at the end
        ["contract", "check", str(ROOT / "contracts" / "sales.odcs.yaml"), "--json"],
    ],
    ids=["text", "json"],
)
def test_a_reader_that_left_ends_the_command_quietly(args: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "salesdq", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader leaves before the command writes a byte
    err = process.stderr.read()
    assert process.wait(timeout=120) == 1, err
    assert err == ""
