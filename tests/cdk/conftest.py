"""The CDK tests' synths, one of each per test session: the CDK app with cdk-nag and dependency bundling skipped
(fast), and the deployable one `make synth` writes (real pip bundling, for the tests that read its assets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template
from cdk_synth import Assembly, Synth

from cdk import app as cdk_app
from cdk import bundling
from salesdq import resources


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    stack, raw = cdk_app.synth_unbundled(outdir)  # raises if cdk-nag has any unacknowledged finding
    return Synth(stack=stack, template=Template.from_json(raw), raw=raw, outdir=outdir)


@pytest.fixture(scope="session")
def deployable(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """`python -m cdk.app` exactly as `make synth` runs it: the dependencies layer pip-installed for the Lambda
    platform, without Docker (needs a package index). What `cdk deploy` would upload."""
    outdir = tmp_path_factory.mktemp("cdk.out.deployable")
    env = {k: v for k, v in os.environ.items() if k != bundling.SKIP_BUNDLING_ENV}
    env |= {"CDK_OUTDIR": str(outdir), "PATH": "/nonexistent-docker:" + env.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "cdk.app"], cwd=resources.ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    raw = json.loads((outdir / f"{resources.STACK_NAME}.template.json").read_text())
    return Assembly(raw=raw, outdir=outdir)
