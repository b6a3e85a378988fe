"""What the garbage collector costs `local run --out`'s export, with the heap frozen and not:
python -m bench.export_heap --records N [--rounds R].

One generated file (the bench's generator, 10% incomplete) runs through the workflow on an in-process engine
once; then the export (salesdq.local.run.export: orders, quarantine and audit log as JSON Lines) runs R times
each way, alternately: with the heap as the run left it, and frozen first (Engine.freeze_heap, as the export
does; gc.unfreeze between rounds puts it back). Each round's wall time and the time spent in collections
(gc.callbacks), by generation. Writes bench/results/export-heap-<N>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import RESULTS, commit, generate, write_result
from salesdq.local import run
from salesdq.local.run import stack_of
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine


class _Collections:
    """Seconds spent in garbage collections, by generation, while attached."""

    def __init__(self) -> None:
        self.seconds: dict[int, float] = {0: 0.0, 1: 0.0, 2: 0.0}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started


def _round(engine: Engine, out: Path, frozen: bool) -> dict[str, Any]:
    gc.unfreeze()
    collections = _Collections()
    freeze = engine.freeze_heap
    if not frozen:  # the export as it was: no freeze
        engine.freeze_heap = lambda: None  # type: ignore[method-assign]
    gc.callbacks.append(collections)
    started = time.perf_counter()
    try:
        run.export(engine, out, {})
    finally:
        seconds = time.perf_counter() - started
        gc.callbacks.remove(collections)
        engine.freeze_heap = freeze  # type: ignore[method-assign]
    return {
        "frozen": frozen,
        "seconds": round(seconds, 3),
        "collections_s": {f"gen{g}": round(collections.seconds[g], 3) for g in range(3)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="salesdq-export-") as temp:
        path = generate(args.records, Path(temp))
        with Engine() as engine:
            upload_and_follow(stack_of(engine), path, Progress())
            for n in range(args.rounds):
                for frozen in (False, True):
                    rounds.append(_round(engine, Path(temp) / f"out-{n}-{frozen}", frozen))
                    print(json.dumps(rounds[-1]), file=sys.stderr, flush=True)
    medians = {
        way: statistics.median(r["seconds"] for r in rounds if r["frozen"] == (way == "frozen"))
        for way in ("as_left", "frozen")
    }
    document = {
        "command": "python -m bench.export_heap " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit(),
        "records": args.records,
        "rounds": rounds,
        "median_s": medians,
        "ratio_as_left_over_frozen": round(medians["as_left"] / medians["frozen"], 3),
    }
    out = args.json_out or RESULTS / f"export-heap-{args.records}.json"
    write_result(out, document, show=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
