"""Every AWS call the stack's principals make in a representative run is one AWS would allow under the
synthesized template's policies (roles' and resources'), as AWS's policy logic decides it
(@cloud-copilot/iam-simulate): a grant the code needs, missing from the CDK app, fails here by name."""

from __future__ import annotations

from typing import Any

from cdk.capabilities import grants
from salesdq import resources
from scripts.iam_policies import Template, decide
from scripts.iam_table import store_of


def test_every_call_each_principal_makes_is_allowed_by_the_template(
    template: Template, recorded_calls: list[dict[str, Any]]
) -> None:
    denied = [d for d in decide(template, recorded_calls) if d.result != "Allowed"]
    assert not denied, "AWS would refuse:\n" + "\n".join(map(str, denied))


def test_the_record_covers_every_principal_the_run_exercises(recorded_calls: list[dict[str, Any]]) -> None:
    """The run uploads (the rule starts the workflow), redrives (the redrive function starts it, the sweep runs
    at its end), replays, and fails a chunk: each principal of the stack must have been seen making calls."""
    expected = {f"function:{f.name}" for f in resources.ALL_FUNCTIONS}
    expected |= {f"state-machine:{resources.INGEST.name}", f"rule:{resources.INGEST_RULE}"}
    assert expected <= {c["principal"] for c in recorded_calls}
    assert not any(c["principal"] == "operator" for c in recorded_calls)


def test_the_bucket_and_queue_policies_are_evaluated_too(
    template: Template, recorded_calls: list[dict[str, Any]]
) -> None:
    """The same calls on the bucket and the queue sent without TLS: their resource policies' deny refuses each."""
    on_stores = [c for c in recorded_calls if c["resource"].startswith(("arn:aws:s3:::", "arn:aws:sqs:"))]
    assert {c["resource"].split(":")[2] for c in on_stores} == {"s3", "sqs"}
    decisions = decide(template, on_stores, context={"aws:SecureTransport": "false"})
    assert {d.result for d in decisions} == {"ExplicitlyDenied"}


def test_each_store_grant_is_made_in_the_run_or_says_why_it_is_kept(recorded_calls: list[dict[str, Any]]) -> None:
    """Least privilege from evidence: a grant the recorded run makes is marked TESTED, and one it never makes
    carries the reason it is kept; a reason beside a grant the run makes is stale, and fails too."""
    made = {(c["principal"], store_of(c["resource"]), c["action"]) for c in recorded_calls}
    wrong = []
    for spec in resources.ALL_FUNCTIONS:
        for store, actions in grants.GRANTS[spec.id].items():
            for action, reason in actions.items():
                if ((f"function:{spec.name}", store, action) in made) != (reason == grants.TESTED):
                    wrong.append(f"{spec.id} {action} on {store}: " + (reason or "marked TESTED, never made"))
    assert not wrong, "\n".join(wrong)
