"""The engine's lifecycle: one engine at a time in a process."""

from __future__ import annotations

import pytest

from salesdq_engine import Engine, EngineError


def test_only_one_engine_at_a_time(engine):
    with pytest.raises(EngineError, match="already running"):
        Engine().start()
