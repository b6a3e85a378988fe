"""Configuration from the environment: every problem named at once."""

from __future__ import annotations

import pytest

from services.runtime import config
from services.runtime.config import ConfigError, load

FULL = {
    "INBOX_BUCKET": "bucket",
    "ORDERS_TABLE": "orders",
    "AUDIT_TABLE": "audit",
    "QUARANTINE_QUEUE_URL": "https://sqs/q",
    "LEASES_TABLE": "leases",
    "QUARANTINED_TABLE": "quarantined",
    "CHUNK_RECORDS": "250",
    "MAX_PARTITIONS": "8",
}


def test_load_reads_every_value():
    cfg = load(FULL)
    assert cfg == config.Config("bucket", "orders", "audit", "https://sqs/q", "leases", "quarantined", 250, 8)


def test_chunking_has_defaults():
    env = {k: v for k, v in FULL.items() if k not in ("CHUNK_RECORDS", "MAX_PARTITIONS")}
    cfg = load(env)
    assert (cfg.chunk_records, cfg.max_partitions) == (1000, 64)
    assert load({**env, "CHUNK_RECORDS": ""}).chunk_records == 1000


def test_all_missing_names_are_listed_in_one_error():
    with pytest.raises(ConfigError) as caught:
        load({})
    message = str(caught.value)
    for name in ("INBOX_BUCKET", "ORDERS_TABLE", "AUDIT_TABLE", "QUARANTINE_QUEUE_URL", "LEASES_TABLE"):
        assert f"{name} is not set" in message
    assert "QUARANTINED_TABLE is not set" in message
    assert "CHUNK_RECORDS" not in message


def test_leases_table_is_required():
    env = {k: v for k, v in FULL.items() if k != "LEASES_TABLE"}
    with pytest.raises(ConfigError, match=r"^LEASES_TABLE is not set$"):
        load(env)
    assert load(FULL).leases_table == "leases"


def test_empty_string_is_missing():
    with pytest.raises(ConfigError, match="AUDIT_TABLE is not set"):
        load({**FULL, "AUDIT_TABLE": ""})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ten", "CHUNK_RECORDS must be a whole number, got 'ten'"),
        ("2.5", "CHUNK_RECORDS must be a whole number, got '2.5'"),
        ("0", "CHUNK_RECORDS must be at least 1, got 0"),
        ("-3", "CHUNK_RECORDS must be at least 1, got -3"),
    ],
)
def test_bad_ints(value, problem):
    with pytest.raises(ConfigError) as caught:
        load({**FULL, "CHUNK_RECORDS": value})
    assert str(caught.value) == problem


def test_missing_and_malformed_together():
    with pytest.raises(ConfigError) as caught:
        load({"INBOX_BUCKET": "b", "MAX_PARTITIONS": "x"})
    message = str(caught.value)
    assert "ORDERS_TABLE is not set" in message
    assert "AUDIT_TABLE is not set" in message
    assert "QUARANTINE_QUEUE_URL is not set" in message
    assert "LEASES_TABLE is not set" in message
    assert "QUARANTINED_TABLE is not set" in message
    assert "MAX_PARTITIONS must be a whole number, got 'x'" in message
    assert message.count(";") == 5


def test_load_defaults_to_os_environ(monkeypatch):
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    assert load().bucket == "bucket"


def test_only_the_function_that_takes_leases_is_told_how_long_they_live():
    assert load(FULL).lease_s == 0  # no LEASE_SECONDS: a function that takes no leases
    assert load({**FULL, "LEASE_SECONDS": "330"}).lease_s == 330
    with pytest.raises(ConfigError, match="LEASE_SECONDS must be at least 1"):
        load({**FULL, "LEASE_SECONDS": "0"})
