"""How fast `salesdq contract try` judges a history on the embedded engine:
python -m bench.contract_try --records N [--files F] [--profile].

A generated history (the bench's generator, 10% incomplete; N records cut into F JSON Lines files, each after the
first opening with 1% of the previous file's records again as they were, duplicates, and 1% with another qty,
conflicts) runs through the workflow on an in-process engine, file after file. Then `salesdq contract try
PROPOSAL --json` over the whole history (every file, in arrival order, one shared view of the orders stored) is
timed as the command runs it, its JSON written to a file, wall and CPU; then the same what-if with `--file` of the
last file alone, which reads the orders table for the orders the other files stored (the path a window that
leaves earlier files out takes). Reported beside them: the shared view's size (order ids held, and their bytes as
sys.getsizeof counts them) and the Python heap's peak during a whole-history what-if (tracemalloc: the engine runs
in this process, so its copies of the items it answers with count too), and the growth of the process's peak
RSS during each command. With --profile, the whole
history's what-if runs once more under cProfile, and the result holds its parts (reading the retained files,
the validator's decision, the orders-table reads, the last runs' outcomes, the fields then) and the top
functions. Writes bench/results/contract-try-<N>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import salesdq.cli.contract as command
from bench.replay import parts_of, top
from bench.run import RESULTS, ROOT, commit, generate, write_result
from salesdq.cli import main as salesdq
from salesdq.local.run import stack_of
from salesdq.operators.contract import read
from salesdq.operators.contract_try import Trial, Window
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine

PROPOSAL = ROOT / "tests" / "data" / "contracts" / "proposal-email-relaxed-qty-100.odcs.yaml"
REPEATED = 0.01  # of each later file: the previous file's records again, as they were and with another qty

# a what-if's parts: cProfile's cumulative seconds of these functions (file name, function name)
PARTS = {
    "read_retained_files": (("read_file.py", "entries"),),
    "decision": (("store_orders.py", "plan_chunk"), ("store_orders.py", "verdicts")),
    "orders_read": (("orders_table.py", "existing"),),
    "last_run_outcomes": (("what_if.py", "recorded_outcomes"), ("what_if.py", "_rules_then")),
    "fields_then": (("contract_try.py", "_fields_then"),),
    "shared_view": (("contract_try.py", "stored"), ("contract_try.py", "store")),
    "runs": (("runs.py", "file_runs"),),
}


def history(records: int, files: int, workdir: Path) -> list[Path]:
    """The generated file cut into `files` JSON Lines files, later ones opening with repeats of the one before."""
    with generate(records, workdir).open(encoding="utf-8") as stream:
        every = json.load(stream)["orders"]
    rng, size, paths = random.Random(23), -(-records // files), []
    for number in range(files):
        part = every[number * size : (number + 1) * size]
        if number:
            before = every[(number - 1) * size : number * size]
            repeats = int(len(part) * REPEATED)
            again = [json.loads(json.dumps(r)) for r in rng.sample(before, 2 * repeats)]
            for record in again[repeats:]:
                info = record.get("order-info") if isinstance(record, dict) else None
                if isinstance(info, dict):
                    info["qty"] = str(rng.randint(1, 500))  # another content: a conflict where the first was stored
            part = again + part[2 * repeats :]
        path = workdir / f"history-{number + 1:02d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
        paths.append(path)
    return paths


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def timed_command(args: list[str], out: Path) -> dict[str, Any]:
    """`salesdq contract try PROPOSAL ARGS --json` in this process, its document written to `out`."""
    peak = _peak_mb()
    wall, cpu = time.monotonic(), time.process_time()
    with out.open("w", encoding="utf-8") as stream, contextlib.redirect_stdout(stream):
        status = salesdq(["contract", "try", str(PROPOSAL), *args, "--json"])
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    with out.open(encoding="utf-8") as stream:
        found = json.load(stream)
    total = found["total"]
    return {
        "args": args,
        "exit": status,
        "files": total["files"],
        "records": total["records"],
        "changed": total["changed"],
        "directions": {d: e["records"] for d, e in total["directions"].items()},
        "score_then": total["score_then"],
        "score_now": total["score_now"],
        "json_mb": round(out.stat().st_size / 1e6, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "records_per_s": round(total["records"] / wall, 1),
        "cpu_us_per_record": round(cpu / total["records"] * 1e6, 1),
        "peak_rss_growth_mb": round(_peak_mb() - peak, 1),
    }


def view_size(trial: Trial) -> dict[str, Any]:
    view = trial.view
    assert view is not None
    held = sys.getsizeof(view.hashes) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in view.hashes.items())
    return {"order_ids": len(view.hashes), "bytes": held, "table_reads": view.reads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile the whole history's what-if once more")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "command": "python -m bench.contract_try " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit(),
        "records": args.records,
        "files": args.files,
    }
    with tempfile.TemporaryDirectory(prefix="salesdq-contract-try-") as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        paths = history(args.records, args.files, workdir)
        with Engine() as engine:
            stack = stack_of(engine)
            command.stack_ref = lambda _: stack  # type: ignore[assignment]  # the engine in this process
            begin, runs = time.monotonic(), []
            with contextlib.redirect_stdout(sys.stderr):  # the functions' logs
                for path in paths:
                    run = upload_and_follow(stack, path, Progress())
                    runs.append({"file": path.name, "status": run.status, "records": run.records})
            result["history"] = {"runs": runs, "wall_s": round(time.monotonic() - begin, 1)}
            engine.freeze_heap()  # the history is written: its tables are read, not grown
            result["whole_history"] = timed_command([], workdir / "whole.json")
            result["last_file_alone"] = timed_command(["--file", paths[-1].name], workdir / "last.json")
            proposal = read(PROPOSAL)
            trial = Trial(stack, proposal, Window())
            tracemalloc.start()
            begin = time.monotonic()
            judged = sum(1 for _ in trial)
            wall = time.monotonic() - begin
            heap_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            result["view"] = view_size(trial) | {
                "files": judged,
                "python_heap_peak_mb": round(heap_peak / 1e6, 1),
                "wall_s_under_tracemalloc": round(wall, 2),
            }
            last = Trial(stack, proposal, Window(file=paths[-1].name))
            for _ in last:
                pass
            result["view_last_file_alone"] = view_size(last)
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in Trial(stack, proposal, Window()):
                    pass
                profile.disable()
                result["profile"] = {
                    "parts_s": parts_of(profile, PARTS),
                    "cumulative": top(profile, "cumulative"),
                    "own": top(profile, "tottime"),
                }
    out = args.json_out or RESULTS / f"contract-try-{args.records}.json"
    write_result(out, result)
    shown = {k: result[k] for k in ("whole_history", "last_file_alone", "view")}
    print(json.dumps(shown | {"written": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
