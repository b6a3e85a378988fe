"""The command-line tier's fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import SAMPLE, free_port, local_env


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


@pytest.fixture(scope="module")
def live_stack() -> Iterator[dict[str, str]]:
    """`salesdq local up` in this process: an engine on a free port, the brief's sample run through it."""
    from salesdq.local.run import stack_of
    from salesdq.operators.follow import upload_and_follow
    from salesdq.operators.progress import Progress
    from salesdq_engine import Engine

    engine = Engine(port=free_port())
    engine.start()
    try:
        upload_and_follow(stack_of(engine), SAMPLE, Progress())
        yield local_env(int(str(engine.endpoint).rsplit(":", 1)[1]))
    finally:
        engine.stop()
