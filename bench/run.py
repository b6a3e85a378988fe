"""The salesdq benchmark: python -m bench.run --records N [--baseline-records M] [--skip-baseline].

In one run:
1. generate an N-record sales file with the seeded generator (10% incomplete records);
2. salesdq: `python -m salesdq local run FILE --json` in a subprocess of its own, so its peak RSS is that
   run's; records/s = records / the run's own elapsed_s; billable units and $/M from its summary;
3. the brief's design (bench/brief_design) on the same engine class, over the first M records of the
   same file, in batches of 500 records per execution (the most its 256 KiB payload limit allows
   comfortably); records/s, transitions and $/M from the engine's metering;
4. the Prepare Lambda's own memory (bench/prepare_memory.py) on files of growing size.
Prints a table and writes bench/results/<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
GENERATOR = ROOT / "scripts" / "make_sales_file.py"
INCOMPLETE = 0.1
SEED = 42
DEFAULT_PREPARE_SIZES = (10_000, 100_000)


def generate(records: int, directory: Path, indent: int | None = None) -> Path:
    path = directory / (f"sales-{records}.json" if indent is None else f"sales-{records}-indent{indent}.json")
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                str(GENERATOR),
                "--records",
                str(records),
                "--incomplete",
                str(INCOMPLETE),
                "--seed",
                str(SEED),
                "--out",
                str(path),
                *([] if indent is None else ["--indent", str(indent)]),
            ],
            check=True,
        )
    return path


def measured(command: list[str], stderr_path: Path | None = None) -> tuple[dict[str, Any], float, float, int]:
    """Run a command whose stdout is one JSON document: (that document, wall s, peak RSS MB, exit code).

    os.wait4 gives this child's own rusage, so each run's peak RSS is its own; its CPU seconds are added
    to the document as "cpu_s" (user + system).
    """
    with tempfile.TemporaryFile("w+b") as out:
        errors = stderr_path.open("wb") if stderr_path else subprocess.DEVNULL
        started = time.perf_counter()
        try:
            process = subprocess.Popen(command, stdout=out, stderr=errors, cwd=ROOT)
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            if stderr_path:
                errors.close()  # type: ignore[union-attr]
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"{' '.join(command)} printed no JSON (exit {process.returncode}): {text[-500:]}") from error
    document["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    return document, wall, usage.ru_maxrss / 1024, process.returncode


def run_salesdq(path: Path, records: int, log: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "salesdq", "local", "run", str(path), "--json", "--progress", "always"]
    load_before = os.getloadavg()[0]
    summary, wall, rss_mb, code = measured(command, log)
    elapsed = float(summary["elapsed_s"])
    totals = summary["totals"]
    return {
        "design": "salesdq",
        "command": "python -m salesdq local run FILE --json",
        "exit_code": code,
        "records": totals["records"],
        "stored": totals["stored"],
        "quarantined": totals["quarantined"],
        "duplicates": totals["duplicates"],
        "status": [f["status"] for f in summary["files"]],
        "reasons": [f["reason"] for f in summary["files"] if f["reason"]],  # why a file failed or was rejected
        "elapsed_s": elapsed,
        "wall_s": round(wall, 2),
        "cpu_s": summary["cpu_s"],
        "records_per_s": round(records / elapsed, 1) if elapsed else 0.0,
        "peak_rss_mb": round(rss_mb, 1),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "transitions_per_record": round(summary["usage"]["units"]["state_transitions"] / records, 4),
        "usage": summary["usage"],
    }


def run_brief(path: Path, records: int, log: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.brief_design.run", "--file", str(path), "--records", str(records)]
    load_before = os.getloadavg()[0]
    summary, wall, rss_mb, code = measured(command, log)
    return {
        **summary,
        "exit_code": code,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run_prepare_memory(paths: list[Path], log_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        command = [sys.executable, "-m", "bench.prepare_memory", "--file", str(path)]
        summary, _, rss_mb, _ = measured(command, log_dir / f"prepare-{path.stem}.stderr")
        rows.append({**summary, "process_peak_rss_mb": round(rss_mb, 1)})
    return rows


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    )


def render(result: dict[str, Any]) -> str:
    lines = []
    designs = [d for d in (result.get("salesdq"), result.get("brief")) if d]
    lines.append(
        table(
            [
                "design",
                "records",
                "elapsed s",
                "records/s",
                "peak RSS MB",
                "transitions",
                "Lambda calls",
                "GB-s",
                "$/M",
            ],
            [
                [
                    d["design"],
                    d["records"],
                    d["elapsed_s"],
                    d["records_per_s"],
                    d["peak_rss_mb"],
                    d["usage"]["units"]["state_transitions"],
                    d["usage"]["units"]["lambda_requests"],
                    d["usage"]["units"]["lambda_gb_seconds"],
                    f"{d['usage']['usd_per_million_records']:.2f}",
                ]
                for d in designs
            ],
        )
    )
    if "speedup" in result:
        lines.append(f"\nspeed-up (records/s, salesdq / brief's design, same run): {result['speedup']:.1f}x")
    for d in designs:
        cost = ", ".join(f"{k} ${v * 1e6 / d['records']:.3f}" for k, v in d["usage"]["cost_usd"].items())
        lines.append(f"{d['design']} $/M by service: {cost}")
    if result.get("prepare_memory"):
        lines.append("\nPrepare Lambda alone (chunks leave the process as on AWS):")
        lines.append(
            table(
                ["records", "file MB", "partitions", "chunks", "tracemalloc peak MB", "process peak RSS MB"],
                [
                    [
                        p["records"],
                        p["file_mb"],
                        p["partitions"],
                        p["chunks"],
                        p["tracemalloc_peak_mb"],
                        p["process_peak_rss_mb"],
                    ]
                    for p in result["prepare_memory"]
                ],
            )
        )
    return "\n".join(lines)


def write_result(path: Path, document: dict[str, Any], *, show: bool = False) -> None:
    """A bench's results file: its document as indented JSON (and on stdout too, with `show`)."""
    text = json.dumps(document, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
    if show:
        print(text)


def commit() -> str:
    """The code measured: HEAD, marked when the working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True, help="records in the salesdq file")
    parser.add_argument("--baseline-records", type=int, default=2000, help="records through the brief's design")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the brief's design")
    parser.add_argument(
        "--prepare-sizes",
        type=int,
        nargs="*",
        default=list(DEFAULT_PREPARE_SIZES),
        help="file sizes (records) for the Prepare memory measurement; N itself is always added",
    )
    parser.add_argument(
        "--indent",
        type=int,
        help="pretty-print the file; 4 is the brief's sample layout (~323 bytes a record instead of ~161)",
    )
    parser.add_argument("--workdir", type=Path, help="keep generated files here (default: a temp dir)")
    parser.add_argument("--json-out", type=Path, help=f"results file (default {RESULTS}/<records>.json)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="salesdq-bench-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = generate(args.records, workdir, args.indent)
        result: dict[str, Any] = {
            "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
            "commit": commit(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "file": {
                "records": args.records,
                "bytes": path.stat().st_size,
                "incomplete": INCOMPLETE,
                "seed": SEED,
                "indent": args.indent,
            },
        }
        print(f"salesdq: {args.records} records, {path.stat().st_size / 1e6:.1f} MB ...", file=sys.stderr, flush=True)
        result["salesdq"] = run_salesdq(path, args.records, workdir / f"salesdq-{args.records}.stderr")
        if not args.skip_baseline:
            print(f"brief's design: {args.baseline_records} records ...", file=sys.stderr, flush=True)
            result["brief"] = run_brief(path, args.baseline_records, workdir / "brief.stderr")
            result["speedup"] = round(result["salesdq"]["records_per_s"] / result["brief"]["records_per_s"], 2)
        out = args.json_out or RESULTS / f"{args.records}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_result(out, result)  # kept if what follows fails
        sizes = sorted({*args.prepare_sizes, args.records})
        print(f"Prepare memory: {sizes} records ...", file=sys.stderr, flush=True)
        result["prepare_memory"] = run_prepare_memory([generate(n, workdir, args.indent) for n in sizes], workdir)

    write_result(out, result)
    print(render(result))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
