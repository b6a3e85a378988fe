"""Lambda packaging without Docker: the services copy, the pip layer, and the real synth path."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from cdk_synth import Assembly

from cdk import bundling
from salesdq import resources

ROOT = resources.ROOT
EM_AARCH64 = 183  # ELF e_machine for AArch64


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def test_services_asset_holds_every_handler_and_no_bytecode(tmp_path: Path) -> None:
    assert bundling.CopyServices().try_bundle(str(tmp_path))
    for spec in resources.ALL_FUNCTIONS:
        module = spec.handler.rsplit(".", 1)[0]
        assert (tmp_path / (module.replace(".", "/") + ".py")).is_file(), spec.handler
    leftovers = [p for p in tmp_path.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert leftovers == []
    assert {p.name for p in tmp_path.iterdir()} == {"services"}


def test_the_layer_installs_the_functions_pins_and_nothing_of_the_engine_or_cli() -> None:
    requirements = bundling.runtime_requirements()
    assert "ijson==3.6.0" in requirements
    assert "marshmallow==4.4.0" in requirements
    assert "pydantic==2.14.4" in requirements  # the functions parse their payloads with it
    assert any(r.startswith("aws-lambda-powertools[tracer]") for r in requirements)
    assert any(r.startswith("aws-xray-sdk") for r in requirements)
    assert not [r for r in requirements if r.startswith(("moto", "flask", "rich"))]


def test_the_package_depends_on_the_functions_pins_plus_the_cli_and_keeps_the_engine_an_extra() -> None:
    project = tomllib.loads((resources.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"]
    assert dependencies == ["services/requirements.txt", "salesdq/requirements.txt"]
    assert [r for r in project["project"]["optional-dependencies"]["local"] if r.startswith("moto[")]


def test_pip_targets_the_lambda_platform() -> None:
    layer = bundling.PipLayer(["ijson==3.6.0"], bundling.pip_platform(), bundling.python_version())
    command = layer.command(Path("/out"))
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in command


@pytest.mark.parametrize(
    ("context", "env", "expected"),
    [(None, "", True), ("true", "", True), ("false", "", False), (None, "1", False), ("true", "1", False)],
)
def test_bundling_switch(monkeypatch: pytest.MonkeyPatch, context: str | None, env: str, expected: bool) -> None:
    monkeypatch.setenv(bundling.SKIP_BUNDLING_ENV, env)
    assert bundling.bundling_enabled(context) is expected


def test_unreachable_index_fails_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    layer = bundling.PipLayer(["ijson==3.6.0"], bundling.pip_platform(), bundling.python_version())
    with pytest.raises(bundling.BundlingError, match="Is a package index reachable"):
        layer.try_bundle(str(tmp_path))


def test_real_synth_bundles_aarch64_wheels_without_docker(deployable: Assembly) -> None:
    """`python -m cdk.app` exactly as `make synth` runs it (the `deployable` fixture), with real pip bundling."""
    (layer,) = deployable.resources("AWS::Lambda::LayerVersion").values()
    site = deployable.asset_dir(layer["Properties"]["Content"]) / "python"
    extensions = list(site.glob("ijson/backends/*.so"))
    assert extensions and all(_elf_machine(so) == EM_AARCH64 for so in extensions)
    assert (site / "marshmallow-4.4.0.dist-info").is_dir()
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "aws_xray_sdk").is_dir()
    assert not list(site.glob("moto*"))
    assert not list(site.rglob("__pycache__"))


def test_services_asset_holds_the_default_contract_as_a_file(tmp_path: Path) -> None:
    """The functions compile contracts/sales.odcs.yaml at cold start; the asset holds only services/, where a
    symlink names it: the copy must be the file itself."""
    assert bundling.CopyServices().try_bundle(str(tmp_path))
    shipped = tmp_path / "services" / "contract" / "sales.odcs.yaml"
    assert shipped.is_file() and not shipped.is_symlink()
    assert shipped.read_bytes() == (resources.ROOT / "contracts" / "sales.odcs.yaml").read_bytes()
    assert "open-data-contract-standard==3.2.0" in bundling.runtime_requirements()


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that path imports (top-level or inside a function), with their packages."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            named |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    parts = {".".join(name.split(".")[:i]) for name in named for i in range(1, name.count(".") + 2)}
    return parts & modules


def test_the_functions_asset_holds_only_modules_a_handler_imports(tmp_path: Path) -> None:
    """Code only the command line runs (a replay's what-if, the audit log's fold, finding a stack) stays out of
    every function; and every module a handler reaches is there."""
    assert bundling.CopyServices().try_bundle(str(tmp_path))
    files = {
        ".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
        for p in tmp_path.rglob("*.py")
    }
    handlers = {spec.handler.rsplit(".", 1)[0] for spec in resources.ALL_FUNCTIONS}
    assert handlers <= set(files)
    source = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "services").rglob("*.py")
    }
    reached: set[str] = set()
    todo = [part for handler in handlers for part in _imported_modules(source[handler], set(source)) | {handler}]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            package = module.rpartition(".")[0]  # importing a module runs its package's __init__ first
            todo += [*_imported_modules(source[module], set(source)), *([package] if package else [])]
    assert sorted(set(files) - reached) == []
    assert sorted(reached - set(files)) == []
