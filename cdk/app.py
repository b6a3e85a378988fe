"""CDK entry point: `python -m cdk.app` from the repo root (cdk.json runs exactly that).

Synthesizes cdk.out/salesdq.template.json offline (no Docker, no AWS credentials) with cdk-nag's
AwsSolutions checks, and exits non-zero if any nag finding is left unsuppressed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from cdk import bundling
from cdk.salesdq_stack import SalesdqStack
from salesdq import resources


def build(app: App) -> SalesdqStack:
    """The stack, with cdk-nag applied; used by the entry point and the tests alike."""
    install = bundling.bundling_enabled(app.node.try_get_context(bundling.BUNDLE_CONTEXT_KEY))
    # Account/region stay unresolved unless the CLI provides them: the template is environment-agnostic.
    env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    stack = SalesdqStack(app, resources.STACK_NAME, install_dependencies=install, env=env)
    # cdk-nag 3 is a validation plugin: any unacknowledged finding makes app.synth() fail.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return stack


def synth_unbundled(outdir: Path) -> tuple[SalesdqStack, dict[str, Any]]:
    """The stack synthesized into outdir with dependency bundling skipped (fast, not deployable; the template is
    otherwise the same), and its template. Raises if cdk-nag has any unacknowledged finding. For the tests."""
    app = App(outdir=str(outdir), context={bundling.BUNDLE_CONTEXT_KEY: "false"})
    stack = build(app)
    assembly = app.synth()
    return stack, json.loads((Path(assembly.directory) / stack.template_file).read_text())


def main() -> int:
    # When the CDK CLI runs the app it sets CDK_OUTDIR; run directly, write to ./cdk.out like the CLI.
    app = App() if os.environ.get("CDK_OUTDIR") else App(outdir="cdk.out")
    stack = build(app)
    if not bundling.bundling_enabled(app.node.try_get_context(bundling.BUNDLE_CONTEXT_KEY)):
        print("warning: dependency bundling skipped; this template is NOT deployable", file=sys.stderr)
    assembly = app.synth()
    template = os.path.join(assembly.directory, stack.template_file)
    print(f"synthesized {template}")
    return 0


if __name__ == "__main__":
    if not __package__:
        sys.exit("run from the repo root as `python -m cdk.app`")
    sys.exit(main())
