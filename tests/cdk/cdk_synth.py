"""The synthesized salesdq stack as the CDK tests see it (built once per session in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from cdk.salesdq_stack import SalesdqStack


@dataclass
class Assembly:
    """A synthesized template and the cdk.out directory that holds its assets."""

    raw: dict[str, Any]
    outdir: Path

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == kind}

    def asset_dir(self, code: dict[str, Any]) -> Path:
        """The staged directory of a zip asset (a function's `Code`, a layer's `Content`): what Lambda unzips."""
        return self.outdir / f"asset.{code['S3Key'].removesuffix('.zip')}"


@dataclass
class Synth(Assembly):
    stack: SalesdqStack
    template: Template

    def one(self, kind: str, **properties: Any) -> tuple[str, dict[str, Any]]:
        """The single resource of `kind` whose properties include `properties`."""
        found = [
            (k, v)
            for k, v in self.resources(kind).items()
            if all(v.get("Properties", {}).get(p) == value for p, value in properties.items())
        ]
        assert len(found) == 1, f"expected one {kind} with {properties}, found {[k for k, _ in found]}"
        return found[0]

    def policy_statements(self, role_id: str) -> list[dict[str, Any]]:
        """Every statement of the inline policies attached to the role with this logical id."""
        policies = [
            p for p in self.resources("AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
        ]
        return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
