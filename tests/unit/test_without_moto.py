"""salesdq without the `local` extra: the command line and every operator command's help load nothing of the
embedded engine (salesdq_engine) or moto, and `salesdq local ...` says in one line what to install.

Run in a fresh interpreter whose import system refuses moto, as an install without the extra has none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK_MOTO = r"""
import contextlib, importlib.abc, io, json, sys

class NoMoto(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "moto" or name.startswith("moto."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoMoto())
from salesdq.cli import main, parser

def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
    return {"status": status, "out": out.getvalue(), "err": err.getvalue()}

groups = sorted(parser()._subparsers._group_actions[0].choices)
result = {
    "groups": groups,
    "help": {"": run(["--help"])} | {group: run([group, "--help"]) for group in groups},
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("moto", "salesdq_engine")),
    "local": run(["local", "run", "mock-data.json"]),
}
print(json.dumps(result))
"""


def test_help_and_local_without_moto() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_MOTO], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout)
    assert "local" in result["groups"] and len(result["groups"]) > 1
    for group, ran in result["help"].items():
        assert ran["status"] == 0 and ran["out"].startswith("usage: salesdq"), (group, ran)
    local = result["local"]
    assert local["status"] == 2 and local["out"] == ""
    (line,) = local["err"].splitlines()
    assert "pip install 'salesdq[local]'" in line and "moto" in line
    assert result["loaded"] == []  # after every command's help, before `local run`
