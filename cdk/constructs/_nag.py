"""cdk-nag suppression helper: every suppression carries a reason, optionally narrowed to findings."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnElement, Stack
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct


def suppress(
    construct: IConstruct,
    rule: str,
    reason: str,
    applies_to: Sequence[str] | None = None,
) -> None:
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=rule, reason=reason, applies_to=list(applies_to) if applies_to else None)],
        apply_to_children=True,
    )


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of an L2's resource, as cdk-nag prints it in `applies_to` findings."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    stack = Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))
