"""Lambda packaging without Docker: local bundling that copies `services/` and pip-installs wheels.

The function code asset holds only the `services` package (small, changes often), less the modules only the
command line uses (COMMAND_LINE_ONLY); the third-party dependencies go into one layer built with
`pip install --platform ... --only-binary=:all:` so the C extension of ijson comes from manylinux wheels for
the Lambda architecture, not from this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from salesdq import resources

SERVICES_DIR = resources.ROOT / "services"
LAYER_SOURCE_DIR = Path(__file__).resolve().parent / "layer"
FUNCTION_REQUIREMENTS = SERVICES_DIR / "requirements.txt"

# Files that must never end up in the function asset.
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyo", "tests", ".pytest_cache", ".mypy_cache", "requirements.txt"
)
# Data-access modules only the command line uses (finding a stack, invoking the redrive function): they stay in
# services/dal/, the one place boto3 is imported, but no function imports them, so no function carries them.
COMMAND_LINE_ONLY = frozenset({Path("dal/deployment.py"), Path("dal/lambda_function.py")})
# Context key / env var that turn the pip step off (fast synth in tests; such a template is not deployable).
BUNDLE_CONTEXT_KEY = "bundle"
SKIP_BUNDLING_ENV = "SALESDQ_SKIP_BUNDLING"

_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


class BundlingError(RuntimeError):
    """Local bundling failed; raised instead of returning False so CDK never falls back to Docker."""


def runtime_requirements(path: Path = FUNCTION_REQUIREMENTS) -> list[str]:
    """The functions' pinned dependencies, as services/requirements.txt lists them."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def pip_platform(architecture: str = resources.LAMBDA_ARCHITECTURE) -> str:
    return _PIP_PLATFORMS[architecture]


def python_version(runtime: str = resources.LAMBDA_RUNTIME) -> str:
    """'python3.12' -> '3.12'."""
    return runtime.removeprefix("python")


@jsii.implements(ILocalBundling)
class CopyServices:
    """Copies the `services` package into the asset so handlers import as `services.…`."""

    def __init__(self, source: Path = SERVICES_DIR) -> None:
        self._source = source

    # jsii passes the BundlingOptions struct positionally; *args/**kwargs also satisfy the Protocol.
    def try_bundle(self, output_dir: str, *_options: Any, **_kwargs: Any) -> bool:
        shutil.copytree(self._source, Path(output_dir) / self._source.name, ignore=self._ignored, dirs_exist_ok=True)
        return True

    def _ignored(self, directory: str, names: list[str]) -> set[str]:
        here = Path(directory).relative_to(self._source)
        return set(_IGNORED(directory, names)) | {name for name in names if here / name in COMMAND_LINE_ONLY}


@jsii.implements(ILocalBundling)
class PipLayer:
    """Installs manylinux wheels for the Lambda platform into `<output>/python` (the layer layout).

    With `install=False` it writes an empty layer: quick synths for tests, never for deploys.
    """

    def __init__(
        self,
        requirements: Sequence[str],
        platform: str,
        version: str,
        install: bool = True,
    ) -> None:
        self.requirements = list(requirements)
        self.platform = platform
        self.version = version
        self.install = install

    def command(self, target: Path) -> list[str]:
        return [
            sys.executable, "-m", "pip", "install",
            "--platform", self.platform,
            "--only-binary=:all:",
            "--python-version", self.version,
            "--implementation", "cp",
            "--no-compile",  # host .pyc files would be for the wrong interpreter anyway
            "--disable-pip-version-check",
            "--quiet",
            "--target", str(target),
            *self.requirements,
        ]  # fmt: skip

    def fingerprint(self) -> str:
        """Asset hash: changes exactly when the layer's content would, so cdk.out reuse is safe."""
        spec = json.dumps([self.requirements, self.platform, self.version, self.install])
        return hashlib.sha256(spec.encode()).hexdigest()

    def try_bundle(self, output_dir: str, *_options: Any, **_kwargs: Any) -> bool:
        target = Path(output_dir) / "python"
        target.mkdir(parents=True, exist_ok=True)
        if not self.install:
            (target / "SKIPPED_BUNDLING.txt").write_text("Dependencies not installed: test synth only.\n")
            return True
        try:
            result = subprocess.run(self.command(target), capture_output=True, text=True, check=False)
        except OSError as error:
            raise BundlingError(f"could not run pip ({sys.executable} -m pip): {error}") from error
        if result.returncode != 0:
            raise BundlingError(
                "pip could not install the Lambda dependencies for "
                f"{self.platform}/cp{self.version} ({' '.join(self.requirements)}). Is a package index "
                "reachable (PyPI, or PIP_INDEX_URL for a mirror)? Docker bundling is not used.\n"
                f"pip said:\n{result.stderr.strip() or result.stdout.strip()}"
            )
        return True


def bundling_enabled(context_value: object) -> bool:
    """Real bundling unless context `bundle` is false or SALESDQ_SKIP_BUNDLING is set."""
    if os.environ.get(SKIP_BUNDLING_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return False
    return str(context_value).strip().lower() not in {"false", "0", "no"}


def _unused_image(runtime: lambda_.Runtime) -> DockerImage:
    # Required by BundlingOptions, but local bundling always succeeds or raises, so it is never pulled.
    return runtime.bundling_image


def services_code(runtime: lambda_.Runtime) -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(SERVICES_DIR),
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(image=_unused_image(runtime), local=CopyServices()),
    )


def dependencies_code(runtime: lambda_.Runtime, install: bool) -> lambda_.Code:
    bundler = PipLayer(runtime_requirements(), pip_platform(), python_version(runtime.name), install)
    return lambda_.Code.from_asset(
        str(LAYER_SOURCE_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=bundler.fingerprint(),
        bundling=BundlingOptions(image=_unused_image(runtime), local=bundler),
    )
