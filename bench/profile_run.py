"""Where the embedded run's CPU goes: python -m bench.profile_run FILE [--top 30].

Runs salesdq.local.run.local_run in this process with a cProfile per thread (timer: the thread's own
CPU time, so threads waiting for the GIL are not counted), merges them, and prints the CPU split by
package (moto's DynamoDB, Step Functions, botocore, salesdq's services, ...) and the top functions by
own time. Also reports each Lambda function's CPU seconds next to the wall-clock seconds the engine
metered (wall minus CPU is time spent waiting for the GIL held by other concurrent Lambdas).
Profiling slows the run several-fold: use it for shares, not for records/s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from salesdq.local.run import local_run
from salesdq.operators.progress import Progress
from salesdq_engine.lambda_runtime import LambdaRuntime

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = (
    ("moto/dynamodb", "moto/dynamodb"),
    ("moto/stepfunctions", "moto/stepfunctions"),
    ("moto/s3", "moto/s3"),
    ("moto/sqs", "moto/sqs"),
    ("moto (core, other)", "moto/"),
    ("botocore", "botocore/"),
    ("boto3", "boto3/"),
    ("services (salesdq handlers)", f"{ROOT}/services/"),
    ("salesdq engine", f"{ROOT}/salesdq/"),
    ("powertools", "aws_lambda_powertools"),
    ("marshmallow", "marshmallow"),
    ("ijson", "ijson"),
    ("json", "json/"),
)

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_profile(*_: Any) -> None:
    profile = cProfile.Profile(timer=time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()  # replaces this hook for the rest of the thread


def category(filename: str) -> str:
    for name, marker in CATEGORIES:
        if marker in filename:
            return name
    return "other (stdlib, threading, ...)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--no-profile", action="store_true", help="only each Lambda's CPU and wall seconds (runs at full speed)"
    )
    args = parser.parse_args(argv)

    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    original_invoke = LambdaRuntime.invoke

    def timed_invoke(self: LambdaRuntime, function: Any, body: Any, response_headers: Any) -> bytes:
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        try:
            return original_invoke(self, function, body, response_headers)
        finally:
            cpu[function.function_name] += time.thread_time() - cpu_start
            wall[function.function_name] += time.perf_counter() - wall_start

    LambdaRuntime.invoke = timed_invoke  # type: ignore[method-assign]
    main_profile = cProfile.Profile(timer=time.thread_time)
    if not args.no_profile:
        threading.setprofile(_start_profile)
        main_profile.enable()
    started = time.perf_counter()
    summary = local_run([args.file], out=None, progress=Progress())
    elapsed = time.perf_counter() - started
    if args.no_profile:
        lambda_only = {
            "file": str(args.file),
            "records": summary["totals"]["records"],
            "elapsed_s": round(elapsed, 2),
            "lambda_cpu_s": {k: round(v, 2) for k, v in cpu.items()},
            "lambda_wall_s": {k: round(v, 2) for k, v in wall.items()},
            "usage": summary["usage"],
        }
        text = json.dumps(lambda_only, indent=2)
        if args.json_out:
            args.json_out.write_text(text + "\n", encoding="utf-8")
        sys.stdout.write(text + "\n")
        return 0
    main_profile.disable()
    threading.setprofile(None)  # type: ignore[arg-type]

    stats = pstats.Stats(main_profile)
    for profile in _profiles:
        stats.add(profile)
    by_category: dict[str, float] = defaultdict(float)
    total = 0.0
    rows = []
    for (filename, line, function), (_, _, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_category[category(filename)] += own
        total += own
        rows.append((own, cumulative, f"{filename}:{line}({function})"))
    rows.sort(reverse=True)
    result = {
        "file": str(args.file),
        "records": summary["totals"]["records"],
        "elapsed_s_under_profiler": round(elapsed, 1),
        "cpu_s_total": round(total, 2),
        "cpu_share_by_package": {k: round(v / total, 3) for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])},
        "lambda_cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "lambda_wall_s": {k: round(v, 2) for k, v in wall.items()},
        "top_functions_own_cpu_s": [[round(o, 2), round(c, 2), name] for o, c, name in rows[: args.top]],
    }
    text = json.dumps(result, indent=2)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
