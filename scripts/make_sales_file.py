"""Seeded generator of sales files in the brief's shape: mock-data.json and benchmark inputs.

python scripts/make_sales_file.py --records 100 --seed 7 --mock > mock-data.json
python scripts/make_sales_file.py --records 20000 --incomplete 0.1 --out bench/20k.json
python scripts/make_sales_file.py --records 1000000 --incomplete 0.1 --indent 4 --out 1m.json  # the brief's layout
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NAMES = [
    "Foo Bar",
    "Diana Prince",
    "Bruce Wayne",
    "Clark Kent",
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
]
ITEMS = [("101", "Item One"), ("102", "Item Two"), ("103", "Item Three"), ("104", "Item Four")]


def complete(rng: random.Random, order_id: str) -> dict[str, Any]:
    item_id, desc = rng.choice(ITEMS)
    name = rng.choice(NAMES)
    return {
        "contact-info": {
            "name": name,
            "email": f"{name.split()[0].lower()}{rng.randint(1, 999)}@example.com",
        },
        "order-info": {
            "OrderId": order_id,
            "item-id": item_id,
            "item-desc": desc,
            "qty": str(rng.randint(1, 9)),
        },
    }


# Each fault breaks exactly one rule of the contract (docs/validation.md), so the mock file shows them all.
def _faults() -> list[tuple[str, Any]]:
    def without(section: str, key: str) -> Any:
        return lambda r: (r[section].pop(key), r)[1]

    def setting(section: str, key: str, value: Any) -> Any:
        return lambda r: (r[section].__setitem__(key, value), r)[1]

    return [
        ("no contact-info", lambda r: {"order-info": r["order-info"]}),
        ("no order-info", lambda r: {"contact-info": r["contact-info"]}),
        ("no order id", without("order-info", "OrderId")),
        ("blank item-id", setting("order-info", "item-id", "  ")),
        ("qty zero", setting("order-info", "qty", "0")),
        ("qty negative", setting("order-info", "qty", -1)),
        ("qty fraction", setting("order-info", "qty", 2.5)),
        ("qty text", setting("order-info", "qty", "abc")),
        ("blank name", setting("contact-info", "name", "")),
        ("bad email", setting("contact-info", "email", "not-an-email")),
        ("no email", without("contact-info", "email")),
        ("contact-info not an object", lambda r: {**r, "contact-info": "Foo Bar"}),
        ("record is null", lambda r: None),
        ("record is a string", lambda r: "order 7"),
    ]


def records(count: int, incomplete: float, seed: int, mock: bool) -> Iterator[Any]:
    rng = random.Random(seed)
    faults = _faults()
    for n in range(count):
        order_id = str(n + 1)
        record = complete(rng, order_id)
        if mock and n < len(faults):  # every fault at least once, then by chance
            yield faults[n][1](record)
        elif rng.random() < incomplete:
            yield rng.choice(faults)[1](record)
        else:
            if mock and rng.random() < 0.15:  # aliases and types that normalize
                info = record["order-info"]
                alias = rng.choice(["orderId", "order-id", "order_id"])
                info[alias] = info.pop("OrderId")
                info["qty"] = int(info["qty"])
            yield record


class _Layout:
    """The file's text around and between records, streamed so the whole file is never in memory; with an
    indent, the text json.dumps({"orders": [...]}, indent=N) writes for one record or more, plus a newline."""

    def __init__(self, indent: int | None) -> None:
        self.indent = indent
        if indent is None:
            self.head, self.tail = '{"orders": [\n', "]}\n"
        else:
            self.pad = " " * (2 * indent)
            self.head = "{\n" + " " * indent + '"orders": ['
            self.tail = "\n" + " " * indent + "]\n}\n"

    def record(self, record: Any, first: bool) -> str:
        if self.indent is None:
            return ("" if first else ",") + json.dumps(record) + "\n"
        text = json.dumps(record, indent=self.indent).replace("\n", "\n" + self.pad)
        return ("\n" if first else ",\n") + self.pad + text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--incomplete", type=float, default=0.4, help="share of records that break a rule")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mock", action="store_true", help="mock-data.json: every fault once, aliases, a duplicate")
    parser.add_argument(
        "--indent",
        type=int,
        help="pretty-print as json.dumps(..., indent=N) would; 4 is the layout of the brief's sample file "
        "(twice the bytes: ~323 a record at 10%% incomplete instead of ~161)",
    )
    parser.add_argument("--out", type=Path, help="write here (streamed); default stdout")
    args = parser.parse_args(argv)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        layout = _Layout(args.indent)
        out.write(layout.head)
        rows = list(records(args.records, args.incomplete, args.seed, args.mock)) if args.mock else None
        if rows is not None:  # a repeated order: identical content is a duplicate, changed content a conflict
            rows.append(json.loads(json.dumps(rows[-1])))
            conflict = json.loads(json.dumps(rows[-2]))
            if isinstance(conflict, dict) and isinstance(conflict.get("order-info"), dict):
                conflict["order-info"]["qty"] = "99"
            rows.append(conflict)
        for n, record in enumerate(
            rows if rows is not None else records(args.records, args.incomplete, args.seed, False)
        ):
            out.write(layout.record(record, first=not n))
        out.write(layout.tail)
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
