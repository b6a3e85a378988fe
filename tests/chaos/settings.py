"""How much chaos a run of the tier makes: `make test` runs the bounded default, `make chaos` the full tier.

CHAOS_TIER=full (what `make chaos` sets) raises every default below; each can also be set on its own:
- CHAOS_SEEDS: seeds per fault and rate for the one-fault cases (default 1; full 2);
- CHAOS_RATES: the rates of the one-fault cases, comma-separated (default 0.3; full 0.1,0.3);
- CHAOS_MIXES: how many seeded random mixes of 3-6 faults at 0.05-0.3 (default 10; full 30);
- CHAOS_FILES / CHAOS_RECORDS: files per scenario and records per file, as LOW-HIGH (default 3, 12-18;
  full 4, 24-36).
"""

from __future__ import annotations

import os
import random

from salesdq_engine import FAULT_NAMES

FULL = os.environ.get("CHAOS_TIER", "default") == "full"


def _int(name: str, default: int, full: int) -> int:
    return int(os.environ.get(name) or (full if FULL else default))


def _range(name: str, default: str, full: str) -> tuple[int, int]:
    low, _, high = (os.environ.get(name) or (full if FULL else default)).partition("-")
    return int(low), int(high or low)


SEEDS = tuple(range(1, _int("CHAOS_SEEDS", 1, 2) + 1))
RATES = tuple(float(r) for r in (os.environ.get("CHAOS_RATES") or ("0.1,0.3" if FULL else "0.3")).split(","))
MIXES = _int("CHAOS_MIXES", 10, 30)
FILES = _int("CHAOS_FILES", 3, 4)
RECORDS = _range("CHAOS_RECORDS", "12-18", "24-36")
CHUNK_RECORDS = (5, 7, 10, 20)  # small: an order's records fall in several chunks of its partition
MAX_PARTITIONS = 3


def mix(number: int) -> dict[str, float]:
    """Mix `number`: 3 to 6 distinct faults, each at a rate from 0.05 to 0.3, the same every run."""
    rng = random.Random(f"chaos-mix-{number}")
    names = rng.sample(FAULT_NAMES, rng.randint(3, 6))
    return {name: round(rng.uniform(0.05, 0.3), 2) for name in sorted(names, key=FAULT_NAMES.index)}


def spec(rates: dict[str, float]) -> str:
    """The rates as `salesdq local run --faults` takes them."""
    return ",".join(f"{name}={rate:g}" for name, rate in rates.items())
