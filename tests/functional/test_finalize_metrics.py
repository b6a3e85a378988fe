"""The Finalize handler's metrics as CloudWatch reads them (EMF on stdout): what the CDK alarm and dashboard
name, with the dimensions Powertools adds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk.capabilities import monitoring
from salesdq import resources

from .test_finalize import AT, FILE_ID, chunk, order
from .test_handlers import FINALIZE, LAMBDA_ENV, RUN_FAILED, LambdaContext, fresh_import


@pytest.fixture
def finalize_env(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finalize's own deployed environment: service `ingest`, namespace `salesdq`."""
    values = {**LAMBDA_ENV, "QUARANTINE_QUEUE_URL": aws.queue_url}
    for name, value in resources.function_environment(resources.FINALIZE, values).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


def emf_documents(out: str) -> list[dict[str, Any]]:
    return [d for d in (json.loads(line) for line in out.splitlines() if line.startswith("{")) if "_aws" in d]


def metrics_of(documents: list[dict[str, Any]]) -> list[tuple[str, str, list[list[str]], dict[str, str], float]]:
    """(namespace, metric, dimension sets, dimension values, value) for every metric of every document."""
    found = []
    for doc in documents:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            names = {n for dims in directive["Dimensions"] for n in dims}
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                found.append(
                    (
                        directive["Namespace"],
                        metric["Name"],
                        directive["Dimensions"],
                        {n: doc[n] for n in sorted(names)},
                        value[0] if isinstance(value, list) else value,
                    )
                )
    return found


def test_finalize_publishes_the_score_and_failures_by_rule(aws, finalize_env, capsys):
    chunk(aws, 0, 0, [[0, order("A")], [2, order("A")], [4, order("B", email="bad")]])
    chunk(aws, 1, 0, [[1, order("C")], [3, None], [5, order("D", email="")]])
    handler = fresh_import(FINALIZE).handler
    capsys.readouterr()

    summary = handler(
        {"file_id": FILE_ID, "file": "incoming/f.json", "at": AT, "execution": "exec-1", "records": 6, "chunks": 2},
        LambdaContext(),
    )

    published = metrics_of(emf_documents(capsys.readouterr().out))
    namespace, service = resources.POWERTOOLS_NAMESPACE, resources.FINALIZE.service
    (score,) = [m for m in published if m[1] == monitoring.QUALITY_SCORE_METRIC]
    # exactly the metric the alarm watches: namespace, name, and the one dimension `service`
    assert score == (namespace, "QualityScore", [["service"]], {"service": "ingest"}, pytest.approx(50.0))
    assert summary["score"] == 0.5
    rules = {m[3]["rule"]: m for m in published if m[1] == monitoring.RULE_FAILURES_METRIC}
    assert {rule: m[4] for rule, m in rules.items()} == summary["failures_by_rule"] == {"email": 2, "not_object": 1}
    for m in rules.values():
        assert m[0] == namespace
        assert sorted(m[2][0]) == ["rule", "service"]
        assert m[3]["service"] == service


def test_a_file_without_failures_publishes_no_rule_metric(aws, finalize_env, capsys):
    chunk(aws, 0, 0, [[0, order("A")]])
    handler = fresh_import(FINALIZE).handler
    capsys.readouterr()
    handler(
        {"file_id": FILE_ID, "file": "incoming/f.json", "at": AT, "execution": "exec-1", "records": 1, "chunks": 1},
        LambdaContext(),
    )
    published = metrics_of(emf_documents(capsys.readouterr().out))
    assert [(m[1], m[4]) for m in published] == [("QualityScore", 100.0)]


def test_a_finalize_that_died_after_its_commit_point_is_completed_and_published_by_run_failed(
    aws, finalize_env, capsys
):
    """Finalize's summary event is written and the invocation dies before it returns (its metrics unpublished):
    RecordRunFailure finds the commit and hands back the summary Finalize would have, with the same metrics,
    and records no failure. Once it wrote file.failed and failed the execution of a completed run."""
    chunk(aws, 0, 0, [[0, order("A")], [2, order("A")], [4, order("B", email="bad")]])
    chunk(aws, 1, 0, [[1, order("C")], [3, None], [5, order("D", email="")]])
    event = {"file_id": FILE_ID, "file": "incoming/f.json", "at": AT, "execution": "exec-1", "records": 6, "chunks": 2}
    finalized = fresh_import(FINALIZE).handler(event, LambdaContext())  # what a Finalize that returned says
    from_finalize = metrics_of(emf_documents(capsys.readouterr().out))

    ended = fresh_import(RUN_FAILED).handler(
        event | {"replay_of": None, "error": {"Error": "InternalServerError", "Cause": "reply lost"}}, LambdaContext()
    )

    assert ended == finalized
    assert metrics_of(emf_documents(capsys.readouterr().out)) == from_finalize
    failed = [e for e in aws.audit() if e.get("event") == "file.failed"]
    assert failed == []
