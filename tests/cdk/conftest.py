"""One synth per test session: the CDK app with cdk-nag, dependency bundling skipped (fast)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Template
from cdk_synth import Synth

from cdk import app as cdk_app
from cdk import bundling


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context={bundling.BUNDLE_CONTEXT_KEY: "false"})
    stack = cdk_app.build(app)
    assembly = app.synth()  # raises if cdk-nag (a validation plugin) has any unacknowledged finding
    raw = json.loads((Path(assembly.directory) / stack.template_file).read_text())
    return Synth(stack=stack, template=Template.from_json(raw), raw=raw, outdir=outdir)
