"""cdk-nag acknowledgments: every one carries a written reason, and is narrowed to findings if given.

cdk-nag 3 runs as a CDK validation plugin and reads CDK's native `Validations.of(c).acknowledge()`;
a rule with several findings per resource (IAM5) is acknowledged per finding: `Rule[Finding]`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

# Every acknowledgment made by the app, for the report and the tests: (construct path, id, reason).
ACKNOWLEDGED: list[tuple[str, str, str]] = []


def suppress(
    construct: IConstruct,
    rule: str,
    reason: str,
    applies_to: Sequence[str] | None = None,
) -> None:
    ids = [f"{rule}[{finding}]" for finding in applies_to] if applies_to else [rule]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))
    ACKNOWLEDGED.extend((construct.node.path, i, reason) for i in ids)


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of an L2's resource, as cdk-nag prints it in findings."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    stack = Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))
