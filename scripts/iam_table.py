"""The table of the stack's principals and what each may do, from the synthesized template: docs/deploy.md holds
its output between its `iam-table` markers, and tests/iam fails when they differ.

    python -m scripts.iam_table [TEMPLATE]   # default: a fresh synth (dependency bundling skipped)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from cdk.capabilities import grants
from salesdq import resources
from scripts.iam_policies import Template

START, END = "<!-- iam-table:start -->", "<!-- iam-table:end -->"
DOC = resources.ROOT / "docs" / "deploy.md"

# Why a statement beside the functions' store grants is there: by the principal's kind and its first action.
WHY = {
    ("function", "xray:PutTraceSegments"): "X-Ray active tracing (no resource-level permissions)",
    ("function", "states:DescribeExecution"): "asks how the execution holding a file's claim ended (ingest.claim)",
    ("function", "states:StartExecution"): "starts the ingest workflow on a redrive batch",
    ("rule", "states:StartExecution"): "starts the ingest workflow on an upload under incoming/",
    ("state-machine", "logs:CreateLogDelivery"): "its logging to CloudWatch Logs (no resource-level permissions)",
    ("state-machine", "xray:PutTraceSegments"): "X-Ray tracing (no resource-level permissions)",
    ("state-machine", "lambda:InvokeFunction"): "its Task states (the recorded run invokes all six)",
    ("state-machine", "s3:GetObject"): "the Distributed Map's ItemReader reads the manifest under staging/",
    ("state-machine", "states:StartExecution"): "the Distributed Map starts its child executions (not emulated)",
    ("state-machine", "states:DescribeExecution"): "the Distributed Map follows and stops its child executions",
}


def store_of(arn: str) -> str | None:
    """The store (cdk.capabilities.grants' name) a resource ARN is, or is in; None for any other resource."""
    tables = {
        resources.ORDERS.name: grants.ORDERS,
        resources.AUDIT.name: grants.AUDIT,
        resources.LEASES.name: grants.LEASES,
        resources.QUARANTINED.name: grants.QUARANTINED,
    }
    if arn == f"arn:aws:s3:::{resources.INBOX_BUCKET}":
        return grants.BUCKET
    if arn.startswith(f"arn:aws:s3:::{resources.INBOX_BUCKET}/"):
        key = arn.split("/", 1)[1]
        return next((grants.objects(p) for p in grants.PREFIXES if key.startswith(p)), None)
    if arn.startswith("arn:aws:sqs:") and arn.endswith(f":{resources.QUARANTINE.name}"):
        return grants.QUEUE
    if arn.startswith("arn:aws:dynamodb:") and ":table/" in arn:
        return tables.get(arn.split(":table/", 1)[1].split("/", 1)[0])
    return None


def _short(arn: str) -> str:
    """An ARN without partition, region and account: `dynamodb table/salesdq-audit`, `s3 salesdq-inbox/*`."""
    if arn == "*":
        return "*"
    parts = arn.split(":", 5)
    return f"{parts[2]} {parts[5]}"


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def rows(template: Template) -> list[tuple[str, str, str, str, int]]:
    """(principal, actions, resource, why, actions x resources of the principal) per statement and resource."""
    specs = {f"function:{spec.name}": spec for spec in resources.ALL_FUNCTIONS}
    out = []
    for principal, role in sorted(template.principals().items()):
        if principal not in specs and not principal.startswith(("state-machine:", "rule:")):
            continue  # CDK's own custom-resource handler (bucket notifications): a deploy-time helper
        statements = [s for p in template.role_policies(role) for s in p["policy"]["Statement"]]
        count = sum(len(_listed(s["Action"])) * len(_listed(s["Resource"])) for s in statements)
        for statement in statements:
            actions = sorted(_listed(statement["Action"]))
            for resource in _listed(statement["Resource"]):
                store = store_of(resource)
                if principal in specs and store is not None:
                    granted = grants.GRANTS[specs[principal].id][store]
                    made = [a for a in actions if granted[a] == grants.TESTED]
                    kept = [f"{a}: {granted[a]}" for a in actions if granted[a] != grants.TESTED]
                    why = "; ".join((["made in tests/iam's recorded run"] if made else []) + kept)
                else:
                    why = WHY.get((principal.split(":", 1)[0], _listed(statement["Action"])[0]), "")
                out.append((principal, ", ".join(actions), _short(resource), why, count))
    return out


def markdown(template: Template) -> str:
    lines = [
        START,
        "| principal (actions x resources) | may | on | why |",
        "| --- | --- | --- | --- |",
    ]
    for principal, actions, resource, why, count in rows(template):
        lines.append(f"| `{principal}` ({count}) | {actions} | `{resource}` | {why} |")
    return "\n".join([*lines, END])


def documented(doc: Path = DOC) -> str:
    """The table as docs/deploy.md holds it."""
    text = doc.read_text(encoding="utf-8")
    return text[text.index(START) : text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    if argv:
        raw = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    else:
        from cdk.app import synth_unbundled

        with tempfile.TemporaryDirectory() as outdir:
            _, raw = synth_unbundled(Path(outdir))
    print(markdown(Template(raw)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
