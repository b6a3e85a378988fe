"""An engine stopped with work in flight: that work ends with it. moto's backends are process-wide, so an
execution or a Lambda invocation left running would write into the next engine's stores (a test after a test
that left a run going saw an order it never uploaded)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from salesdq.local.run import stack_of
from salesdq_engine import Engine

from .helpers import order, write_json

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")]


def test_what_a_stopped_engine_was_doing_never_lands_in_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.validator import validate_chunk as module

    entered, release = threading.Event(), threading.Event()
    store = module.store_chunk

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(60)
        return store(*args, **kwargs)

    monkeypatch.setattr(module, "store_chunk", held)
    with Engine(retry_wait_scale=0.01) as first:
        stack_of(first).inbox().upload(write_json(tmp_path, "held.json", {"orders": [order("h1")]}), "incoming/x.json")
        assert entered.wait(60), "the chunk never started"
        # released while the engine stops; without the halt, the chunk would go on writing after the stop
        threading.Timer(2.0, release.set).start()
    with Engine() as second:
        assert release.wait(60)
        time.sleep(3.0)  # time for anything left of the first engine to write (its retries are immediate)
        stack = stack_of(second)
        assert list(stack.orders().scan()) == []
        assert list(stack.audit().scan()) == []
        assert list(stack.quarantined().items()) == []
