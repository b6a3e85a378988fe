"""The registry of the engine's additions to moto: the one moto version they were checked against, refused
otherwise in one line (by Engine.start and by `salesdq local ...`), and every addition in it."""

from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
from pathlib import Path

import pytest

import salesdq_engine
from salesdq.cli import main
from salesdq.cli.exits import EXIT_USAGE
from salesdq_engine import Engine, MotoVersionError, additions, lifecycle

ROOT = Path(__file__).resolve().parents[3]
OTHER = "5.3.0"


def local_extra_pin() -> str:
    """The moto version pyproject.toml's `local` extra installs."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    (pin,) = [re.fullmatch(r"moto\[[^\]]*\]==(\S+)", spec) for spec in extra if spec.startswith("moto")]
    assert pin is not None, extra
    return pin.group(1)


def test_checked_version_is_the_one_the_local_extra_installs() -> None:
    assert local_extra_pin() == additions.MOTO_VERSION


@pytest.mark.parametrize(("installed", "found"), [(OTHER, f"moto {OTHER} is installed"), (None, "moto is not")])
def test_engine_refuses_to_start_on_another_moto(
    monkeypatch: pytest.MonkeyPatch, installed: str | None, found: str
) -> None:
    monkeypatch.setattr(additions, "installed_moto", lambda: installed)
    engine = Engine()
    with pytest.raises(MotoVersionError) as raised:
        engine.start()
    message = str(raised.value)
    assert "\n" not in message
    assert f"moto {local_extra_pin()}" in message and found in message
    assert lifecycle._active is None  # refused before anything started: a later engine is not blocked
    assert engine._mock is None


@pytest.mark.parametrize("command", [["local", "run", "mock-data.json"], ["local", "up", "--port", "1"]])
def test_local_commands_print_the_refusal_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(additions, "installed_moto", lambda: OTHER)
    assert main(command) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert f"moto {local_extra_pin()}" in lines[0] and f"moto {OTHER}" in lines[0]
    assert "pip install 'salesdq[local]'" in lines[0]


def test_every_module_that_patches_moto_is_in_the_registry() -> None:
    """An addition outside the registry would escape the version check's order and the docs' list."""
    patching = set()
    for info in pkgutil.iter_modules(salesdq_engine.__path__):
        module = importlib.import_module(f"salesdq_engine.{info.name}")
        if callable(getattr(module, "install", None)) and module is not additions:
            patching.add(info.name)
    # request_hooks is installed by the additions that plug into it (lambda_runtime, metering)
    assert patching - {"request_hooks"} == set(additions.ADDITIONS)
