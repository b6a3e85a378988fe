"""One synth per test session: the CDK app with cdk-nag, dependency bundling skipped (fast)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template
from cdk_synth import Synth

from cdk import app as cdk_app


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    stack, raw = cdk_app.synth_unbundled(outdir)  # raises if cdk-nag has any unacknowledged finding
    return Synth(stack=stack, template=Template.from_json(raw), raw=raw, outdir=outdir)
