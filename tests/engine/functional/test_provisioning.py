"""Provisioning: salesdq's stack, created through the API, is what the API reports."""

from __future__ import annotations

import dataclasses

import pytest

from salesdq import resources
from salesdq_engine import EngineError
from salesdq_engine.provisioning import render_definition
from services.runtime import config


def test_engine_provisions_every_function_with_its_reserved_concurrency_and_environment(engine):
    lam = engine.client("lambda")
    for spec in resources.ALL_FUNCTIONS:
        configuration = lam.get_function_configuration(FunctionName=spec.name)
        assert configuration["Handler"] == spec.handler
        assert (configuration["MemorySize"], configuration["Timeout"]) == (spec.memory_mb, spec.timeout_s)
        assert set(configuration["Environment"]["Variables"]) >= set(spec.environment)
        concurrency = lam.get_function_concurrency(FunctionName=spec.name)
        assert concurrency["ReservedConcurrentExecutions"] == spec.reserved_concurrency
    prepare = lam.get_function_configuration(FunctionName=resources.PREPARE.name)["Environment"]["Variables"]
    assert prepare[config.CHUNK_RECORDS] == "7"
    validate = lam.get_function_configuration(FunctionName=resources.VALIDATE_CHUNK.name)["Environment"]["Variables"]
    # the one function that takes slot leases: they live its timeout plus a small margin
    assert config.load(validate).lease_s == resources.VALIDATE_CHUNK.timeout_s + resources.LEASE_MARGIN_S
    assert 0 < resources.LEASE_MARGIN_S <= 60
    redrive = lam.get_function_configuration(FunctionName=resources.REDRIVE.name)["Environment"]["Variables"]
    assert redrive[config.STATE_MACHINE_ARN] == engine.stack.state_machine_arn


def test_a_definition_with_a_placeholder_left_is_refused():
    arns = {function_id: f"arn:{function_id}" for function_id in resources.INGEST.functions.values()}
    assert "${" not in render_definition(resources.INGEST, arns)
    partial = dataclasses.replace(resources.INGEST, functions=dict(list(resources.INGEST.functions.items())[1:]))
    with pytest.raises(EngineError, match="placeholder with no substitution"):
        render_definition(partial, arns)


def test_the_inbox_keeps_versions_as_the_cdk_apps_does(engine):
    assert engine.stack is not None
    s3 = engine.client("s3")
    assert s3.get_bucket_versioning(Bucket=engine.stack.bucket)["Status"] == "Enabled"
    first = s3.put_object(Bucket=engine.stack.bucket, Key="notes/v.txt", Body=b"one")["VersionId"]
    s3.put_object(Bucket=engine.stack.bucket, Key="notes/v.txt", Body=b"two")
    old = s3.get_object(Bucket=engine.stack.bucket, Key="notes/v.txt", VersionId=first)["Body"].read()
    assert old == b"one"  # a run reads the version its event named, not what the key holds now
