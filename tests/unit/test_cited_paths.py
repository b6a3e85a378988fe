"""Every repository path the docs, docstrings and comments cite exists: a path cited after its file moved sends a
reader nowhere. A citation is a token that starts with one of the repository's top-level folders and holds a `/`
(`services/dal/errors.py`, `salesdq/cli/`, `docs/operations.md#<anchor>`), or a dotted module path of one of the
Python packages (`salesdq.cli.exits.report`), whose module must exist and, past it, name something in it."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("asl", "bench", "cdk", "contracts", "docs", "salesdq", "salesdq_engine", "scripts", "services", "tests")
PACKAGES = ("salesdq", "salesdq_engine", "services", "cdk", "scripts", "bench", "tests")
SCANNED = ("salesdq", "salesdq_engine", "services", "cdk", "scripts", "bench", "tests")

# Not after a character that would make the token part of a longer one (a URL, an absolute path, a package).
_PATH = re.compile(rf"(?<![\w./@~$-])(?:{'|'.join(FOLDERS)})/[\w./*#-]*")
_MODULE = re.compile(rf"(?<![\w./@~$-])(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+")
# A path with a placeholder (`test_<module>.py`, `{name}`, `...`) names a pattern, not a file.
_PLACEHOLDER = re.compile(r"[<>{}]|\.\.\.|…")
# A path a command in the text writes (`--out bench/20k.json`, `> x.json`) is made by it, not cited.
_WRITES = re.compile(r"(?:--out|>)\s*$")
# Dotted names that are not modules: the directory the CDK synthesizes into.
_NOT_MODULES = {"cdk.out"}
_FILE_SUFFIXES = (".py", ".md", ".json", ".yaml", ".yml", ".toml", ".txt", ".csv", ".html", ".jsonl", ".cfg")


def _texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of what a reader of path reads as prose: a Markdown file whole, a Python file's docstrings
    and comments."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        yield from enumerate(source.splitlines(), 1)
        return
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                for offset, line in enumerate(first.value.value.splitlines()):
                    yield first.lineno + offset, line


def _sources() -> list[Path]:
    found = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for folder in SCANNED:
        found += sorted(p for p in (REPO / folder).rglob("*.py") if "node_modules" not in p.parts)
    return found


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _path_missing(cited: str) -> bool:
    cited = cited.rstrip(".,:;")
    target, _, anchor = cited.partition("#")
    if "*" in target:
        return not list(REPO.glob(target.rstrip("/")))
    file = REPO / target
    if not file.exists():
        return True
    if anchor and file.suffix == ".md":
        headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.MULTILINE)
        return anchor not in {_slug(h) for h in headings}
    return False


def _names(module: Path) -> set[str]:
    """The names a module defines or imports at its top level (and a class's, for `Class.method`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _module_missing(cited: str) -> bool:
    parts = cited.split(".")
    if cited in _NOT_MODULES:
        return False
    if cited.endswith(_FILE_SUFFIXES):
        return len(parts) == 2 and not (REPO / cited).exists()  # a file at the top, named like a module
    for length in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:length])
        module = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if module.is_file():
            # One name past the module is enough to check: a class, function, constant or import of it.
            return length < len(parts) and parts[length] not in _names(module)
        if base.is_dir() and length > 1:
            return True  # a package directory with no such module
    return True


def _stale() -> list[str]:
    stale = []
    for source in _sources():
        for line, text in _texts(source):
            where = f"{source.relative_to(REPO)}:{line}"
            for match in _PATH.finditer(text):
                cited, after = match.group(), text[match.end() : match.end() + 1]
                if _WRITES.search(text[: match.start()]) or _PLACEHOLDER.search(cited + after):
                    continue
                if _path_missing(cited):
                    stale.append(f"{where}: {cited}")
            for match in _MODULE.finditer(text):
                if _module_missing(match.group()):
                    stale.append(f"{where}: {match.group()}")
    return stale


def test_every_path_the_docs_and_docstrings_cite_exists() -> None:
    assert len(_sources()) > 100  # the walk found the files
    assert _stale() == []
