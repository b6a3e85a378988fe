"""What `cdk deploy` or the first invocation would refuse, found offline in the deployable synth's template and
assets: handlers that do not resolve, imports the layer lacks, a package over Lambda's size limit, and settings
past a new account's quotas.

AWS's numbers, from the Lambda quotas page (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
and the reserved concurrency page (.../configuration-concurrency.html).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cdk_synth import Assembly
from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import canonicalize_name

from cdk import bundling
from salesdq import resources

FUNCTION = "AWS::Lambda::Function"
DOCS = resources.ROOT / "docs" / "deploy.md"

# "250 MB: the maximum size of the contents of a deployment package, including layers and custom runtimes
# (unzipped)"; CreateFunction refuses more with "Unzipped size must be smaller than 262144000 bytes".
UNZIPPED_LIMIT_BYTES = 262_144_000
MEMORY_MB = range(128, 10_240 + 1)  # 128 MB to 10,240 MB
TIMEOUT_MAX_S = 900
DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S = 128, 3  # what Lambda gives a function whose template names none
# "Concurrent executions" (quota L-B99A9384): 1,000 by default, less on a new account (AWS does not say how much
# less). Reserved concurrency may take all of it but 100, which Lambda keeps for the functions reserving none.
DEFAULT_CONCURRENCY = 1_000
UNRESERVED_MINIMUM = 100

# boto3 and botocore are in the Lambda Python runtime too (/var/runtime), at whatever version AWS last shipped.
# They are not taken from there: the layer pins them (services/requirements.txt) and comes before /var/runtime
# on Lambda's sys.path, so the functions call AWS with the version the tests ran. So they count as the layer's.
RUNTIME_ALSO_PROVIDES = frozenset({"boto3", "botocore"})

# Lambda's sys.path ahead of the runtime's own: the code asset (/var/task), then each layer's (/opt).
_LAYER_PATHS = ("python/lib/python{version}/site-packages", "python")
# Imports the handler module the way Lambda's bootstrap does and checks the attribute is callable.
_RESOLVE = """
import importlib, sys
module, _, attribute = sys.argv[1].rpartition(".")
sys.path[:0] = sys.argv[2:]
handler = getattr(importlib.import_module(module), attribute, None)
if not callable(handler):
    sys.exit(f"{module} has no callable {attribute!r}: {handler!r}")
"""


def _functions(deployable: Assembly) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in deployable.resources(FUNCTION).items()}


def _layer_dirs(deployable: Assembly, function: dict[str, Any]) -> list[Path]:
    layers = deployable.raw["Resources"]
    return [deployable.asset_dir(layers[ref["Ref"]]["Properties"]["Content"]) for ref in function.get("Layers", [])]


def _code_dir(deployable: Assembly, function: dict[str, Any]) -> Path:
    return deployable.asset_dir(function["Code"])


def _lambda_path(deployable: Assembly, function: dict[str, Any], stand_ins: Path | None = None) -> list[str]:
    version = function["Runtime"].removeprefix("python")
    layers = _layer_dirs(deployable, function)
    return [str(_code_dir(deployable, function)), *([str(stand_ins)] if stand_ins else [])] + [
        str(layer / path.format(version=version)) for layer in layers for path in _LAYER_PATHS
    ]


def _host_builds(deployable: Assembly, functions: dict[str, dict[str, Any]], into: Path) -> Path:
    """A folder of this interpreter's builds of the layers' packages that hold a compiled extension, each the
    same distribution and version as the layer's (a version apart would test another package)."""
    host = Path(sysconfig.get_paths()["purelib"])  # this interpreter's site-packages
    for function in functions.values():
        if "ZipFile" in function["Code"]:
            continue
        for layer in _layer_dirs(deployable, function):
            for record in layer.glob("python/*.dist-info/RECORD"):
                files = [line.split(",", 1)[0] for line in record.read_text(encoding="utf-8").splitlines()]
                if not any(name.endswith(".so") for name in files):
                    continue
                assert (host / record.parent.name).is_dir(), f"no {record.parent.name} in {host} to stand in"
                for top in {name.split("/", 1)[0] for name in files if "/" in name and ".dist-info" not in name}:
                    if not (into / top).exists() and (host / top).is_dir():
                        (into / top).symlink_to(host / top)
    return into


def _lambda_environment(logical_id: str, function: dict[str, Any]) -> dict[str, str]:
    """The function's environment as Lambda sets it; values the template leaves to CloudFormation (a table's
    `Ref`) become placeholders: the functions only read them as names."""
    variables = function.get("Environment", {}).get("Variables", {})
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.get("MemorySize", DEFAULT_MEMORY_MB)),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function['Runtime']}",
        "_HANDLER": function["Handler"],
        **{name: value if isinstance(value, str) else f"unresolved-{name}" for name, value in variables.items()},
    }


def _inline_handler_problem(function: dict[str, Any]) -> str | None:
    """An inline (ZipFile) function, CDK's own: Lambda writes the source to index.py. Resolved by reading it, not
    importing it: it needs only the runtime's boto3, and nothing of this project's layer or code."""
    module, _, attribute = function["Handler"].rpartition(".")
    if module != "index":
        return f"inline code is index.py, the handler names module {module!r}"
    tree = ast.parse(function["Code"]["ZipFile"])
    if not any(isinstance(node, ast.FunctionDef) and node.name == attribute for node in tree.body):
        return f"index.py defines no function {attribute!r}"
    return None


def test_every_handler_in_the_template_resolves_in_its_code_asset_and_layers(
    deployable: Assembly, tmp_path: Path
) -> None:
    """Each function's handler imported as Lambda would: in a fresh interpreter with no site-packages (-I -S), only
    the code asset and its layers on sys.path, and the function's environment (its modules read it at import).

    The layer's C extensions are aarch64 builds and this interpreter is not (nor, maybe, CPython 3.12), so they do
    not load here: a layer package holding one is stood in for by this interpreter's build of the same
    distribution and version (some have a pure-Python fallback, pydantic-core has none); that the extensions are
    there, built for aarch64, tests/cdk/test_cdk_bundling.py checks, and the next test that every wheel is."""
    problems = {}
    functions = _functions(deployable)
    stand_ins = _host_builds(deployable, functions, tmp_path)
    for logical_id, function in functions.items():
        if "ZipFile" in function["Code"]:
            if problem := _inline_handler_problem(function):
                problems[logical_id] = problem
            continue
        # -I -S: no site-packages nor PYTHON* variables; -B: no bytecode written into the assets.
        command = [sys.executable, "-I", "-S", "-B", "-c", _RESOLVE, function["Handler"]]
        result = subprocess.run(
            [*command, *_lambda_path(deployable, function, stand_ins)],
            env=_lambda_environment(logical_id, function),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            last_line = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            problems[logical_id] = f"{function['Handler']}: {last_line}"
    assert problems == {}
    # Every project function was tried (not only resources.py's list: CDK's inline handler too).
    assert {f["Handler"] for f in functions.values()} >= {spec.handler for spec in resources.ALL_FUNCTIONS}


def _type_checking(node: ast.AST) -> bool:
    """An `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`) block."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_top_levels(root: Path) -> dict[str, set[str]]:
    """Every top-level name the code under root imports, absolutely, with the files importing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        # imports under `if TYPE_CHECKING:` never run (the type stubs, a dev dependency the layer has none of)
        typing_only = {id(n) for block in ast.walk(tree) if _type_checking(block) for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], set()).add(str(path.relative_to(root)))
    return found


def _dist_infos(site: Path) -> Iterator[Path]:
    return site.glob("*.dist-info")


def _name_version(dist_info: Path) -> tuple[str, str]:
    name, version = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)
    return canonicalize_name(name), version


def _top_levels(dist_info: Path) -> set[str]:
    """The import names a wheel installs: its top_level.txt, or else the first part of each RECORD path."""
    top_level = dist_info / "top_level.txt"
    if top_level.is_file():
        return set(top_level.read_text(encoding="utf-8").split())
    names = set()
    for line in (dist_info / "RECORD").read_text(encoding="utf-8").splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0]
        if first and not first.endswith((".dist-info", ".data")) and first not in {"..", "bin", "__pycache__"}:
            names.add(first.removesuffix(".py"))
    return names


def _wheel_tags(dist_info: Path) -> set[Tag]:
    lines = (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines()
    return {tag for line in lines if line.startswith("Tag: ") for tag in parse_tag(line.removeprefix("Tag: "))}


def _lambda_tags(version: str) -> set[Tag]:
    """The wheel tags pip accepts for --platform manylinux2014_aarch64 --python-version 3.12 --implementation cp."""
    major, minor = (int(part) for part in version.split("."))
    platforms = ["manylinux2014_aarch64", "manylinux_2_17_aarch64"]
    return {
        *cpython_tags((major, minor), [f"cp{major}{minor}"], platforms),
        *compatible_tags((major, minor), f"cp{major}{minor}", platforms),
    }


def _the_layer(deployable: Assembly) -> Path:
    (layer,) = deployable.resources("AWS::Lambda::LayerVersion").values()
    return deployable.asset_dir(layer["Properties"]["Content"]) / "python"


def test_the_layer_holds_a_lambda_platform_wheel_of_every_package_the_functions_import(deployable: Assembly) -> None:
    code_dirs = {_code_dir(deployable, f) for f in _functions(deployable).values() if "S3Key" in f["Code"]}
    (code,) = code_dirs  # one code asset, shared by every function
    imported = _imported_top_levels(code)
    third_party = {
        name: files for name, files in imported.items() if name not in sys.stdlib_module_names and name != "services"
    }
    site = _the_layer(deployable)
    provided = {name: dist for dist in _dist_infos(site) for name in _top_levels(dist)}
    missing = {name: sorted(files) for name, files in third_party.items() if name not in provided}
    assert missing == {}, f"imported, not in the layer: {missing}"
    assert set(third_party) >= RUNTIME_ALSO_PROVIDES, "the reason given for boto3/botocore no longer applies"

    lambda_tags = _lambda_tags(bundling.python_version())
    wrong_platform = {}
    for dist in _dist_infos(site):  # what the imported packages import in turn, too
        tags = _wheel_tags(dist)
        if not tags & lambda_tags:
            wrong_platform[dist.name] = sorted(map(str, tags))
    assert wrong_platform == {}, "wheels not for manylinux2014_aarch64 / CPython 3.12"

    # Each pin of services/requirements.txt, boto3's included, is the version in the layer.
    installed = dict(map(_name_version, _dist_infos(site)))
    for requirement in bundling.runtime_requirements():
        name, version = re.split(r"==", re.sub(r"\[.*\]", "", requirement))
        assert installed.get(canonicalize_name(name)) == version, requirement


def _tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def test_each_function_unzipped_with_its_layers_is_under_lambdas_250_mb(deployable: Assembly) -> None:
    sizes = {
        logical_id: _tree_bytes(_code_dir(deployable, function))
        + sum(_tree_bytes(layer) for layer in _layer_dirs(deployable, function))
        for logical_id, function in _functions(deployable).items()
        if "S3Key" in function["Code"]
    }
    print(f"unzipped code + layers, bytes: {sizes} (limit {UNZIPPED_LIMIT_BYTES:,})")
    over = {logical_id: f"{size:,} bytes" for logical_id, size in sizes.items() if size >= UNZIPPED_LIMIT_BYTES}
    assert sizes and over == {}, f"unzipped code + layers at or over {UNZIPPED_LIMIT_BYTES:,} bytes"


def _docs_section(title: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_memory_timeout_and_reserved_concurrency_fit_a_default_account_and_the_docs_say_what_they_need(
    deployable: Assembly,
) -> None:
    functions = _functions(deployable)
    settings = {
        k: (f.get("MemorySize", DEFAULT_MEMORY_MB), f.get("Timeout", DEFAULT_TIMEOUT_S)) for k, f in functions.items()
    }
    outside = {k: (mb, s) for k, (mb, s) in settings.items() if mb not in MEMORY_MB or s > TIMEOUT_MAX_S}
    assert outside == {}, "memory (MB) or timeout (s) past Lambda's maximum"
    reserved = sum(f.get("ReservedConcurrentExecutions", 0) for f in functions.values())
    needed = reserved + UNRESERVED_MINIMUM
    assert needed <= DEFAULT_CONCURRENCY, f"reserving {reserved} needs a concurrency quota of {needed}"
    # The docs name the quota a deploy needs, with the template's numbers.
    section = " ".join(_docs_section("Found offline before a deploy").split())
    largest = max(mb for mb, _ in settings.values())
    assert f"reserve {reserved} concurrent executions" in section
    assert f"at least {needed}" in section
    assert f"{largest:,} MB" in section
