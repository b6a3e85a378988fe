"""Fixtures of the end-to-end tier: `salesdq local run` called in-process, one embedded engine per call."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import salesdq.cli
from salesdq.cli import main
from salesdq.local.run import stack_of
from salesdq_engine import Engine
from salesdq_engine.lambda_runtime import RoutedStdout

from .helpers import Run, assert_totals_add_up, local_up


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Run]:
    """`salesdq local run FILE... --json --out <fresh dir> [args]`; stdout must be exactly one JSON document."""
    calls = iter(range(1_000))

    def run(files: list[Path], *args: str) -> Run:
        out = tmp_path / f"out{next(calls)}"
        capsys.readouterr()
        rc = main(["local", "run", *map(str, files), "--json", "--out", str(out), "--progress", "never", *args])
        captured = capsys.readouterr()
        summary: dict[str, Any] = json.loads(captured.out)  # the whole of stdout, nothing else
        assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
        assert [f["file"] for f in summary["files"]] == [str(f) for f in files]
        assert_totals_add_up(summary)
        return Run(rc, summary, out, captured.out, captured.err)

    return run


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An embedded engine of its own, its retries' waits scaled down, for a test that drives it in-process."""
    with Engine(retry_wait_scale=0.01) as running:
        yield running


@pytest.fixture
def cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """`salesdq ...` in-process against the engine, with no terminal to ask on: (exit status, stdout, stderr)."""
    for found in pkgutil.iter_modules(salesdq.cli.__path__):
        module = importlib.import_module(f"salesdq.cli.{found.name}")
        if hasattr(module, "stack_ref"):  # each command module imports it by name: every one points at the engine
            monkeypatch.setattr(module, "stack_ref", lambda args: stack_of(engine))

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        # pytest's capture replaced the stdout the engine routes: Lambda output goes to its log files again
        monkeypatch.setattr(sys, "stdout", RoutedStdout(sys.stdout, engine.lambdas.logs))
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        try:
            status = main([str(a) for a in args])
        except SystemExit as exit_:
            status = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    """`salesdq local up` for the module's tests: the environment an operator's shell has (AWS_ENDPOINT_URL)."""
    with local_up() as env:
        yield env


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    return directory
