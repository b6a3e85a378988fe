"""How much of the operations' state space a run of the model tier explores: `make test` runs the bounded
default, `make model` the full tier.

MODEL_TIER=full (what `make model` sets) raises every default below; each can also be set on its own:
- MODEL_EXAMPLES: random operation sequences (examples) per machine, each on a fresh engine (default 6; full 40);
- MODEL_STEPS: operations per sequence at most (default 8; full 25);
- MODEL_FAULT_EXAMPLES: sequences of the machine under injected faults (default 3; full 20);
- MODEL_SHRINK: 1 to let Hypothesis shrink a failing sequence to its shortest (default off, full on: shrinking
  replays sequences on the engine and can take minutes);
- MODEL_CHECKS and MODEL_SKIP (tests/model/machine.py): the invariants checked, the operations left out;
- MODEL_SEED: the seed of the sequences (default 4, the same sequences every run; full: a new seed each run,
  which Hypothesis prints with a failure).
"""

from __future__ import annotations

import os

FULL = os.environ.get("MODEL_TIER", "default") == "full"


def _int(name: str, default: int, full: int) -> int:
    return int(os.environ.get(name) or (full if FULL else default))


EXAMPLES = _int("MODEL_EXAMPLES", 6, 40)
STEPS = _int("MODEL_STEPS", 8, 25)
FAULT_EXAMPLES = _int("MODEL_FAULT_EXAMPLES", 3, 20)
SHRINK = bool(_int("MODEL_SHRINK", 0, 1))
SEED = int(os.environ["MODEL_SEED"]) if os.environ.get("MODEL_SEED") else (None if FULL else 4)
