"""cdk-nag AwsSolutions runs on every synth and nothing is left unacknowledged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match
from cdk_synth import Synth

from cdk import app as cdk_app
from cdk import bundling
from cdk.capabilities import nag


def test_synth_passed_cdk_nag_with_no_findings(synth: Synth) -> None:
    # The session fixture's app.synth() would have raised on any finding; the report confirms it.
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == []
    annotations = Annotations.from_stack(synth.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context={bundling.BUNDLE_CONTEXT_KEY: "false"})
    stack = cdk_app.build(app)
    sqs.Queue(stack, "NotCompliant")  # no TLS-only policy, no dead-letter queue
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    paths = {
        c["constructPath"] for p in report["pluginReports"] for v in p["violations"] for c in v["violatingConstructs"]
    }
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules
    assert all(path.startswith("salesdq/NotCompliant/") for path in paths)


def test_every_acknowledgment_has_a_written_reason(synth: Synth) -> None:
    assert nag.ACKNOWLEDGED
    for path, rule, reason in nag.ACKNOWLEDGED:
        assert rule.startswith("AwsSolutions-"), (path, rule)
        assert len(reason.split()) >= 8, (path, rule, reason)


def test_synth_passes_cdk_nag_in_a_concrete_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `cdk deploy` sets these; findings then name the real account/region instead of pseudo parameters.
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    app = App(outdir=str(tmp_path), context={bundling.BUNDLE_CONTEXT_KEY: "false"})
    stack = cdk_app.build(app)
    assert (stack.account, stack.region) == ("123456789012", "eu-west-1")
    app.synth()
    assert json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"] == []
