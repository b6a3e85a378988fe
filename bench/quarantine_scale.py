"""Reading what is quarantined at scale: python -m bench.quarantine_scale --records N.

One engine; one generated file of N records of which every one breaks a rule (the generator at
--incomplete 1.0), processed end to end, so N items are quarantined; then, timed in this process: `quarantine list`
(every open item, from the quarantine view's paginated scan), `quarantine list --rule R` and `--limit 100`,
`quarantine export` (every line, records included), and the sweep (a receive of every quarantine queue message,
the only read of the queue itself). Writes bench/results/quarantine-<N>.json (dlq-<N>.json before the
commands were renamed).

With --local-up, as an operator runs them instead: `salesdq local up` in its own process, the file uploaded
with `salesdq upload --wait`, and each read a `salesdq` command of its own over HTTP (its process start
included in its time); writes bench/results/quarantine-<N>-local-up.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.run import GENERATOR, RESULTS, SEED, commit, write_result
from salesdq.local.run import stack_of
from salesdq.locate import StackRef
from salesdq.operators import quarantine
from salesdq.operators.follow import upload_and_follow
from salesdq.operators.progress import Progress
from salesdq_engine import Engine, metering
from tests.e2e.helpers import local_up
from tests.e2e.helpers import salesdq as run_salesdq


def _timed(label: str, work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s", file=sys.stderr, flush=True)
    return round(seconds, 3), value


def _most_common_rule(items: list[dict[str, Any]]) -> str:
    return Counter(r["rule"] for body in items for r in body["reasons"]).most_common(1)[0][0]


def _in_process(path: Path) -> dict[str, Any]:
    with Engine() as engine:
        stack = stack_of(engine)
        run_s, result = _timed("run", lambda: upload_and_follow(stack, path, Progress()))
        before = engine.usage.snapshot()
        list_s, items = _timed("quarantine list", lambda: list(quarantine.quarantined_items(stack)))
        list_read_units = engine.usage.snapshot().minus(before).dynamodb_read_units
        rule = _most_common_rule(items)
        rule_s, by_rule = _timed(
            f"quarantine list --rule {rule}",
            lambda: list(quarantine.quarantined_items(stack, quarantine.Filters(rule=rule))),
        )
        limit_s, limited = _timed(
            "quarantine list --limit 100",
            lambda: list(quarantine.quarantined_items(stack, quarantine.Filters(limit=100))),
        )
        export_s, lines = _timed("quarantine export", lambda: sum(1 for _ in quarantine.export_lines(stack)))
        sweep_s, swept = _timed("quarantine sweep", lambda: quarantine.sweep(stack))
        view_items = _view_item_sizes(engine, stack)
    return {
        "run": {"status": result.status, "quarantined": result.quarantined, "seconds": run_s},
        "quarantine_list": {"items": len(items), "seconds": list_s, "read_units_metered": list_read_units},
        "quarantine_list_rule": {"rule": rule, "items": len(by_rule), "seconds": rule_s},
        "quarantine_list_limit": {"items": len(limited), "seconds": limit_s},
        "quarantine_export": {"lines": lines, "seconds": export_s},
        "quarantine_sweep": {**swept, "seconds": sweep_s},
        "view_items": view_items,
    }


def _view_item_sizes(engine: Engine, stack: StackRef) -> dict[str, float]:
    """The quarantine view's items as DynamoDB sizes them, and the write units each costs (metering's rules)."""
    pages = engine.client("dynamodb").get_paginator("scan").paginate(TableName=stack.quarantined().name)
    sizes = [metering.item_size(item) for page in pages for item in page["Items"]]
    return {
        "count": len(sizes),
        "mean_bytes": round(statistics.mean(sizes), 1),
        "max_bytes": max(sizes),
        "write_units_each_mean": statistics.mean(metering.write_units(size) for size in sizes),
    }


def _on_local_up(path: Path, temp: Path) -> dict[str, Any]:
    with local_up() as env:

        def salesdq(*args: str) -> str:
            done = run_salesdq(env, *args, timeout=None)
            if done.returncode:
                raise SystemExit(f"salesdq {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
            return done.stdout

        run_s, uploaded = _timed("upload --wait", lambda: json.loads(salesdq("upload", str(path), "--wait", "--json")))
        list_s, items = _timed("quarantine list", lambda: json.loads(salesdq("quarantine", "list", "--json")))
        rule = _most_common_rule(items)
        rule_s, by_rule = _timed(
            f"quarantine list --rule {rule}",
            lambda: json.loads(salesdq("quarantine", "list", "--json", "--rule", rule)),
        )
        limit_s, limited = _timed(
            "quarantine list --limit 100", lambda: json.loads(salesdq("quarantine", "list", "--json", "--limit", "100"))
        )
        out = temp / "quarantined.jsonl"
        export_s, _ = _timed("quarantine export", lambda: salesdq("quarantine", "export", "--out", str(out)))
        lines = sum(1 for _ in out.open(encoding="utf-8"))
    return {
        "run": {"quarantined": uploaded["totals"]["quarantined"], "seconds": run_s},
        "quarantine_list": {"items": len(items), "seconds": list_s},
        "quarantine_list_rule": {"rule": rule, "items": len(by_rule), "seconds": rule_s},
        "quarantine_list_limit": {"items": len(limited), "seconds": limit_s},
        "quarantine_export": {"lines": lines, "seconds": export_s},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--local-up", action="store_true", help="each read a salesdq command against local up")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="salesdq-quarantine-") as temp:
        path = Path(temp) / "all-incomplete.json"
        generate = [sys.executable, str(GENERATOR), "--records", str(args.records), "--incomplete", "1.0"]
        subprocess.run([*generate, "--seed", str(SEED), "--out", str(path)], check=True)
        legs = _on_local_up(path, Path(temp)) if args.local_up else _in_process(path)
    document = {
        "command": "python -m bench.quarantine_scale " + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": commit(),
        "records": args.records,
        "on": "salesdq local up, a command per read" if args.local_up else "one process",
        **legs,
    }
    out = args.json_out or RESULTS / f"quarantine-{args.records}{'-local-up' if args.local_up else ''}.json"
    write_result(out, document, show=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
