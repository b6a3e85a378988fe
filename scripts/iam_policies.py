"""The synthesized template's IAM, resolved for one account and region, and AWS's decision on recorded calls.

The template's principals (each function's role, the state machine's, the EventBridge rule target's) with their
inline policies, and the bucket's and queue's resource policies, every Ref / Fn::GetAtt / Fn::Join / Fn::Sub
resolved to the names and ARNs the stack has in ACCOUNT and REGION (the embedded engine's, so the ARNs of a
recording, salesdq_engine.call_record, are those of the same resources). `decide` asks AWS's policy logic as
@cloud-copilot/iam-simulate implements it (scripts/iam_simulate.mjs) about each recorded call.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from salesdq import resources
from salesdq_engine.call_record import ACCOUNT
from salesdq_engine.lifecycle import DEFAULT_REGION as REGION

SIMULATOR = resources.ROOT / "scripts" / "iam_simulate.mjs"
# Every request the SDK sends goes over TLS: the bucket's and the queue's TLS-only denies must not apply.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}

_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Events::Rule": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
# The engine's names of what the template leaves CloudFormation to name, by construct id.
_ENGINE_NAMES = {resources.INBOX_BUCKET_ID: resources.INBOX_BUCKET}
_HASH = re.compile(r"[0-9A-F]{8}$")


class UnresolvedError(Exception):
    """A template value this resolver does not know how to turn into a string."""


class Template:
    """A synthesized CloudFormation template, resolved for ACCOUNT and REGION."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.resources: dict[str, dict[str, Any]] = raw["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def name(self, logical: str) -> str:
        """A resource's physical name: the one the template gives it, the engine's, or its logical id."""
        resource = self.resources[logical]
        given = resource.get("Properties", {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
        if given is not None:
            return self.resolve(given)
        bare = _HASH.sub("", logical)
        return next((name for cid, name in _ENGINE_NAMES.items() if bare.endswith(cid)), logical)

    def ref(self, logical: str) -> str:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": resources.STACK_NAME,
        }
        if logical in pseudo:
            return pseudo[logical]
        kind = self.resources[logical]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.name(logical)}"
        if kind == "AWS::StepFunctions::StateMachine":
            return self.get_att(logical, "Arn")
        return self.name(logical)

    def get_att(self, logical: str, attribute: str) -> str:
        kind, name = self.resources[logical]["Type"], self.name(logical)
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
            "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute in ("Name", "QueueName", "TableName"):
            return name
        if attribute == "QueueUrl":
            return self.ref(logical)
        raise UnresolvedError(f"Fn::GetAtt {logical}.{attribute} ({kind})")

    def resolve(self, value: Any) -> Any:
        """A template value with every intrinsic function replaced by its string."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), *_ = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical, attribute)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(self.resolve(parts))
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return re.sub(r"\$\{([^}!]+)\}", lambda m: self._sub(m.group(1), variables), text)
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(index)]
            if function.startswith("Fn::"):
                raise UnresolvedError(function)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, variable: str, variables: dict[str, Any]) -> str:
        if variable in variables:
            return str(self.resolve(variables[variable]))
        if "." in variable:
            logical, attribute = variable.split(".", 1)
            return self.get_att(logical, attribute)
        return self.ref(variable)

    # ------------------------------------------------------------------------------------------------ principals

    def principals(self) -> dict[str, str]:
        """Each principal a recording names (call_record's names) -> the logical id of its role."""
        found: dict[str, str] = {}
        for logical, function in self.of_type("AWS::Lambda::Function").items():
            role = function["Properties"].get("Role", {}).get("Fn::GetAtt", [None])[0]
            if role is not None:
                found[f"function:{self.name(logical)}"] = role
        for logical, machine in self.of_type("AWS::StepFunctions::StateMachine").items():
            found[f"state-machine:{self.name(logical)}"] = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        for logical, rule in self.of_type("AWS::Events::Rule").items():
            for target in rule["Properties"].get("Targets", []):
                if ":states:" in self.resolve(target["Arn"]) and "RoleArn" in target:
                    found[f"rule:{self.name(logical)}"] = target["RoleArn"]["Fn::GetAtt"][0]
        return found

    def role_policies(self, role: str) -> list[dict[str, Any]]:
        """The inline policies of a role (resolved), as iam-simulate takes them: [{name, policy}]. Its AWS managed
        policies (AWSLambdaBasicExecutionRole: CloudWatch Logs only) are not in the template to read."""
        inline = self.resources[role]["Properties"].get("Policies", [])
        attached = [
            {"PolicyName": logical, "PolicyDocument": p["Properties"]["PolicyDocument"]}
            for logical, p in self.of_type("AWS::IAM::Policy").items()
            if {"Ref": role} in p["Properties"].get("Roles", [])
        ]
        return [{"name": p["PolicyName"], "policy": self.resolve(p["PolicyDocument"])} for p in [*inline, *attached]]

    def resource_policy(self, arn: str) -> dict[str, Any] | None:
        """The resource policy AWS evaluates beside the caller's for a request on `arn`: its bucket's or its
        queue's, if the template gives it one."""
        if arn.startswith("arn:aws:s3:::"):
            bucket = arn.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            for policy in self.of_type("AWS::S3::BucketPolicy").values():
                if self.resolve(policy["Properties"]["Bucket"]) == bucket:
                    return dict(self.resolve(policy["Properties"]["PolicyDocument"]))
        if arn.startswith("arn:aws:sqs:"):
            url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{arn.rsplit(':', 1)[1]}"
            for policy in self.of_type("AWS::SQS::QueuePolicy").values():
                if url in self.resolve(policy["Properties"]["Queues"]):
                    return dict(self.resolve(policy["Properties"]["PolicyDocument"]))
        return None


@dataclass(frozen=True)
class Decision:
    principal: str
    action: str
    resource: str
    result: str  # "Allowed", "ExplicitlyDenied", "ImplicitlyDenied", or "Error" (the simulator refused the request)
    role: str | None
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.principal} (role {self.role}): {self.action} on {self.resource}: {self.result} {self.detail}"


def decide(
    template: Template, calls: Iterable[dict[str, str]], context: dict[str, str] = REQUEST_CONTEXT
) -> list[Decision]:
    """AWS's decision on each recorded call (principal, action, resource) under the template's policies, for
    requests with this context (global condition keys)."""
    calls = list(calls)
    roles = template.principals()
    requests, asked = [], []
    decisions: list[Decision | None] = []
    for call in calls:
        role = roles.get(call["principal"])
        if role is None:
            decisions.append(Decision(**call, result="ImplicitlyDenied", role=None, detail="no such principal"))
            continue
        decisions.append(None)
        asked.append(len(decisions) - 1)
        request = {
            "principal": template.get_att(role, "Arn"),
            "action": call["action"],
            "resource": call["resource"],
            "identityPolicies": template.role_policies(role),
            "context": context,
        }
        policy = template.resource_policy(call["resource"])
        if policy is not None:
            request["resourcePolicy"] = policy
        requests.append(request)
    answers = json.loads(
        subprocess.run(
            ["node", str(SIMULATOR)], input=json.dumps(requests), capture_output=True, text=True, check=True
        ).stdout
    )
    for index, answer in zip(asked, answers, strict=True):
        call, role = calls[index], roles[calls[index]["principal"]]
        if answer["result"] == "ImplicitlyDenied":
            detail = f"(no statement of {role}'s policies allows it)"
        elif answer["result"] == "ExplicitlyDenied":
            detail = f"(denied by {', '.join(answer['denies'])})"
        else:
            detail = answer.get("error", "")
        decisions[index] = Decision(**call, result=answer["result"], role=role, detail=detail)
    return [d for d in decisions if d is not None]
