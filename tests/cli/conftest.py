"""The command-line tier's fixtures."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import free_port


@pytest.fixture
def dead_stack(monkeypatch: pytest.MonkeyPatch) -> str:
    """AWS_ENDPOINT_URL at a closed port (one attempt a call, so a case takes no retries' time), and no engine."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(name, value)

    class NoEngine:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pytest.fail("the command started the embedded engine")

    import salesdq.local.run
    import salesdq_engine

    monkeypatch.setattr(salesdq_engine, "Engine", NoEngine)
    monkeypatch.setattr(salesdq.local.run, "Engine", NoEngine)
    return endpoint
