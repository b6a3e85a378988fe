"""How fast `salesdq replay file --dry-run` decides a file on the embedded engine:
python -m bench.replay --records N [--profile].

One generated file (the bench's generator, 10% incomplete) runs through the workflow on an in-process engine
once; then the dry-run of its replay (salesdq.operators.replay_file.dry_run: the streaming read of raw/<sha256>,
the contract, the validator's decision with its batched consistent reads of the orders table, the comparison
with the run's chunk markers) is timed alone, wall and CPU; then the validator's decision alone (plan_chunk and
verdicts over the same file's chunks, against an empty store: no request at all), CPU a record, the bound
of any dry-run on one core. With --profile, the dry-run runs under cProfile and
the result holds the functions with the most cumulative and own time, and the share of its parts (the
validator's decision, the orders' reads, the last run's outcomes). Writes
bench/results/replay-dry-run-<N>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.run import RESULTS, commit, generate, write_result
from salesdq.local.run import stack_of
from salesdq.operators import replay_file
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq.operators.what_if import CHUNK_RECORDS, staged_chunks
from salesdq_engine import Engine
from services.contract import default
from services.domain.payloads import ChunkJob
from services.domain.run import Run
from services.ingest.read_file import SalesFile
from services.validator.store_orders import plan_chunk, verdicts


def top(profile: cProfile.Profile, key: str, count: int = 15) -> list[str]:
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats(key).print_stats(count)
    return [line.rstrip() for line in text.getvalue().splitlines() if line.strip()][-count - 1 :]


# a dry-run's parts: cProfile's cumulative seconds of these functions (file name, function name)
_PARTS = {
    "decision": (("store_orders.py", "plan_chunk"), ("store_orders.py", "verdicts")),
    "orders_read": (("orders_table.py", "existing"),),
    "last_run_outcomes": (("what_if.py", "recorded_outcomes"),),
    "total": (("replay_file.py", "dry_run"),),
}


def parts_of(profile: cProfile.Profile, parts: Mapping[str, tuple[tuple[str, str], ...]] = _PARTS) -> dict[str, float]:
    """Cumulative seconds of each part's functions (file name, function name) in the profile."""
    cumulative: dict[tuple[str, str], float] = {}
    for (path, _, function), (_, _, _, seconds, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        where = (Path(path).name, function)
        cumulative[where] = cumulative.get(where, 0.0) + seconds
    return {part: round(sum(cumulative.get(f, 0.0) for f in functions), 3) for part, functions in parts.items()}


def _decision_alone(path: Path) -> dict[str, float]:
    """CPU µs a record of the validator's decision with no store: the chunks are read first, then decided."""
    job = ChunkJob(
        run=Run(file_id="bench", file=path.name, id="bench", execution="bench"), partition=0, chunk=0, key=""
    )
    with path.open("rb") as stream:
        chunks = list(staged_chunks(SalesFile(stream, path.name, path.stat().st_size), CHUNK_RECORDS))
    records = sum(len(chunk) for chunk in chunks)
    judge = default()  # compiled before the clock starts, as a function's cold start does
    cpu = time.process_time()
    for chunk in chunks:
        verdicts(plan_chunk(chunk, job, judge), {}, any_run=True)
    cpu_us = (time.process_time() - cpu) / records * 1e6
    return {"cpu_us_per_record": round(cpu_us, 1), "records_per_s_one_core": round(1e6 / cpu_us, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--profile", action="store_true", help="run the dry-run under cProfile")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "command": "python -m bench.replay " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit(),
        "records": args.records,
    }
    with tempfile.TemporaryDirectory(prefix="salesdq-replay-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = generate(args.records, workdir)
        with Engine() as engine:
            stack = stack_of(engine)
            begin = time.monotonic()
            run = upload_and_follow(stack, path, Progress())
            result["run"] = {"status": run.status, "wall_s": round(time.monotonic() - begin, 2)}
            profile = cProfile.Profile() if args.profile else None
            wall, cpu = time.monotonic(), time.process_time()
            if profile is not None:
                profile.enable()
            found = replay_file.dry_run(stack, path.name)
            if profile is not None:
                profile.disable()
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        decision = _decision_alone(path)
    result["dry_run"] = {
        "records": found["records"],
        "changed": len(found["changed"]),
        "then": found["then"],
        "now": found["now"],
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "records_per_s": round(found["records"] / wall, 1),
        "cpu_us_per_record": round(cpu / found["records"] * 1e6, 1),
        "profiled": args.profile,
    }
    result["decision_alone"] = decision
    if profile is not None:
        result["profile"] = {
            "parts_s": parts_of(profile),
            "cumulative": top(profile, "cumulative"),
            "own": top(profile, "tottime"),
        }
    out = args.json_out or RESULTS / f"replay-dry-run-{args.records}.json"
    write_result(out, result)
    print(json.dumps(result["dry_run"] | {"decision_alone": decision, "written": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
