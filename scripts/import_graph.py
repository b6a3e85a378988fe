"""The import graph between the repository's packages, and their line counts (issue 24's before and after).

    python -m scripts.import_graph            # the graph between packages, then lines of Python per package

A unit is a top-level package, or a subpackage named in UNITS (the longest name that holds a module wins); an
edge A -> B counts the modules of A that import a module of B, imports inside functions included (grimp reads
every import statement). Lines are every line of the unit's .py files, a subpackage's not counted in its parent.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("salesdq", "salesdq_engine", "services", "cdk")


def unit_of(module: str, units: tuple[str, ...]) -> str | None:
    """The longest unit that holds `module`, None if none does."""
    holding = [u for u in units if module == u or module.startswith(f"{u}.")]
    return max(holding, key=len, default=None)


def edges(packages: tuple[str, ...] = PACKAGES, units: tuple[str, ...] = ()) -> dict[tuple[str, str], set[str]]:
    """(importer unit, imported unit) -> the modules of the imported unit that are imported."""
    units = (*packages, *units)
    graph = grimp.build_graph(*packages, cache_dir=None)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = unit_of(module, units), unit_of(imported, units)
            if a and b and a != b:
                found[(a, b)].add(imported)
    return dict(found)


def importers(target: str, packages: tuple[str, ...] = PACKAGES) -> set[str]:
    """Every module outside `target` that imports a module of it."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {
        module
        for module in graph.modules
        if unit_of(module, (target,)) is None
        and any(unit_of(imported, (target,)) for imported in graph.find_modules_directly_imported_by(module))
    }


def lines(units: tuple[str, ...]) -> dict[str, int]:
    """Lines of Python per unit, a nested unit's not counted in its parent's."""
    counts = dict.fromkeys(units, 0)
    for unit in units:
        for path in (ROOT / unit.replace(".", "/")).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if unit_of(module, units) == unit:
                counts[unit] += len(path.read_text(encoding="utf-8").splitlines())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", default=[p for p in PACKAGES if (ROOT / p).is_dir()])
    parser.add_argument("--unit", action="append", default=[], help="a subpackage to count as a unit of its own")
    args = parser.parse_args()
    packages, units = tuple(args.packages), tuple(args.unit)
    for (a, b), imported in sorted(edges(packages, units).items()):
        shown = ", ".join(sorted(imported)) if len(imported) <= 4 else f"{len(imported)} modules"
        print(f"{a} -> {b}: {shown}")
    print()
    for unit, count in lines((*packages, *units)).items():
        print(f"{unit:<20} {count:>6} lines")


if __name__ == "__main__":
    main()
