"""boto3 and botocore are imported only in the data-access layer (services/dal): everything else reaches AWS
through its stores. The embedded engine (salesdq_engine/, not walked here) is an AWS emulator and builds
clients of its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AWS_SDK = {"boto3", "botocore"}
DATA_ACCESS = REPO / "services" / "dal"


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):  # every import, top-level or inside a function
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    found = []
    for package in ("salesdq", "services"):
        for path in sorted((REPO / package).rglob("*.py")):
            if not path.is_relative_to(DATA_ACCESS):
                found.append(path)
    return found


def test_only_the_data_access_layer_imports_boto3_or_botocore() -> None:
    modules = _modules()
    assert len(modules) > 20  # the walk found the packages
    offenders = {
        str(path.relative_to(REPO)): sorted(_imported(ast.parse(path.read_text(encoding="utf-8"))) & AWS_SDK)
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_check_sees_an_import_wherever_it_is() -> None:
    source = "import os\ndef f():\n    import botocore.exceptions\nfrom boto3.session import Session\n"
    assert _imported(ast.parse(source)) & AWS_SDK == {"boto3", "botocore"}


_WITHOUT_STUBS = """
import importlib, pkgutil, sys
import services

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].startswith(("mypy_boto3_", "types_boto3_", "boto3_stubs", "botocore_stubs")):
            raise ImportError(f"the type stubs are not in the Lambda layer: {name}")
        return None

sys.meta_path.insert(0, Refuse())
names = [m.name for m in pkgutil.walk_packages(services.__path__, "services.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_services_import_without_the_boto3_type_stubs() -> None:
    # The stubs are a dev dependency (pyproject.toml); the functions' layer (services/requirements.txt) has none,
    # so services/ may import them only under TYPE_CHECKING.
    names = ("INBOX_BUCKET", "ORDERS_TABLE", "AUDIT_TABLE", "QUARANTINE_QUEUE_URL", "LEASES_TABLE", "QUARANTINED_TABLE")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", **dict.fromkeys(names, "x")}  # the handlers load config
    env["STATE_MACHINE_ARN"] = "arn:aws:states:us-east-1:000000000000:stateMachine:x"
    command = [sys.executable, "-c", _WITHOUT_STUBS]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 40  # every module of services/ was imported
    assert "boto3-stubs" not in (REPO / "services" / "requirements.txt").read_text(encoding="utf-8")
