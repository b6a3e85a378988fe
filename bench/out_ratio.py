"""What `salesdq local run --out DIR` costs beside the same run without it:
python -m bench.out_ratio --records N [--pairs P] [--only-out].

In one run, on one generated file (the bench's generator, 10% incomplete), alternately: `salesdq local run FILE
--json` and `salesdq local run FILE --json --out DIR`, each a whole process, P times. The claim is the ratio of
the medians of their wall times (what a user waits), and of their CPU; the --out runs' own summaries say how
their time divides between the run and the export. Since a run's time spreads from process to process, two
more views: each pair's ratio (its two processes ran back to back), and each --out process's wall time over
that time less its own export. Writes bench/results/out-ratio-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.run import RESULTS, commit, generate, measured, write_result


def _leg(path: Path, out: Path | None, log: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "salesdq", "local", "run", str(path), "--json", "--progress", "never"]
    if out is not None:
        command += ["--out", str(out)]
    summary, wall, rss_mb, code = measured(command, log)
    return {
        "exit_code": code,
        "status": [f["status"] for f in summary["files"]],
        "wall_s": round(wall, 2),
        "cpu_s": summary["cpu_s"],
        "elapsed_s": summary["elapsed_s"],
        "timings": summary.get("timings"),
        "peak_rss_mb": round(rss_mb, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only-out", action="store_true", help="run only the --out leg (a long file)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="salesdq-out-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = generate(args.records, workdir)
        plain: list[dict[str, Any]] = []
        exported: list[dict[str, Any]] = []
        for pair in range(args.pairs):
            if not args.only_out:
                print(f"pair {pair + 1}: without --out ...", file=sys.stderr, flush=True)
                plain.append(_leg(path, None, workdir / f"plain-{pair}.stderr"))
            print(f"pair {pair + 1}: with --out ...", file=sys.stderr, flush=True)
            exported.append(_leg(path, workdir / f"out-{pair}", workdir / f"out-{pair}.stderr"))
            lines = {
                name: sum(1 for _ in (workdir / f"out-{pair}" / name).open())
                for name in ("orders.jsonl", "quarantine.jsonl", "audit.jsonl")
            }
            exported[-1]["lines"] = lines
    result: dict[str, Any] = {
        "command": "python -m bench.out_ratio " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit(),
        "records": args.records,
        "without_out": plain,
        "with_out": exported,
    }
    if plain:
        result["wall_ratio"] = round(
            statistics.median(r["wall_s"] for r in exported) / statistics.median(r["wall_s"] for r in plain), 3
        )
        result["cpu_ratio"] = round(
            statistics.median(r["cpu_s"] for r in exported) / statistics.median(r["cpu_s"] for r in plain), 3
        )
        # Runs spread between processes; each pair ran back to back, and each --out process times its own export.
        result["pair_wall_ratios"] = [round(o["wall_s"] / p["wall_s"], 3) for p, o in zip(plain, exported, strict=True)]
    result["own_run_ratios"] = [round(o["wall_s"] / (o["wall_s"] - o["timings"]["export_s"]), 3) for o in exported]
    out = args.json_out or RESULTS / f"out-ratio-{args.records}.json"
    write_result(out, result)
    print(json.dumps({k: v for k, v in result.items() if "ratio" in k} | {"written": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
