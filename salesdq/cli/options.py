"""Options more than one command takes, declared once each as a parent parser, and what they resolve to."""

from __future__ import annotations

import argparse
import os
import re
import stat
import unicodedata
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from salesdq import resources
from salesdq.cli.output import shown
from salesdq.errors import UsageError
from salesdq.locate import StackRef, locate

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what add_subparsers returns


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


# What Ctrl-C leaves behind, the line `salesdq: interrupted: ...` ends with: a command that changes something
# says so with set_defaults(interrupted=...); one that only reads (no such default) changed nothing.
INTERRUPTED = "nothing was changed"
ON_THE_STACK = "goes on through the workflow on the stack: `salesdq runs` shows it"


JSON = _parent()
JSON.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")

STACK = _parent()
STACK.add_argument("--stack", metavar="NAME", help="a deployed stack (default: AWS_ENDPOINT_URL, else 'salesdq')")
STACK.add_argument("--region", help="AWS region (default: the standard AWS configuration)")

PROGRESS = _parent()
PROGRESS.add_argument(
    "--progress",
    choices=("auto", "always", "never"),
    default="auto",
    help="progress bar on stderr (auto: when stderr is a terminal)",
)

FAULTS = _parent()
FAULTS.add_argument(
    "--faults",
    metavar="SPEC",
    help="inject AWS faults into the workflow: comma-separated NAME=RATE, RATE from 0 to 1 "
    "(e.g. ddb-throttle=0.1,lambda-crash=0.05; docs/architecture.md lists every fault)",
)
FAULTS.add_argument("--fault-seed", type=int, default=0, metavar="N", help="seed of the fault draws (default 0)")


HOST = re.compile(r"^[A-Za-z0-9.:-]+$")  # a host name or an IP address (botocore refuses any other character)
REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")  # what botocore takes as a region name


def _is_url(text: str) -> bool:
    try:
        url = urllib.parse.urlsplit(text)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(HOST.match(url.hostname or ""))


def stack_ref(args: argparse.Namespace) -> StackRef:
    """The stack --stack and --region name (or AWS_ENDPOINT_URL's); UsageError when either setting cannot name
    one (botocore would raise on it as a bug of ours)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and not _is_url(endpoint):
        raise UsageError(
            f"AWS_ENDPOINT_URL={shown(endpoint)} is not an http(s) URL: set it as `salesdq local up` prints "
            "(http://127.0.0.1:4566), or unset it to reach AWS"
        )
    if args.region is not None and not REGION.match(args.region):
        raise UsageError(f"--region {shown(args.region)}: not a region name (e.g. eu-west-1)")
    return locate(args.stack, args.region)


LINE_BREAKING = ("Cc", "Zl", "Zp")  # Unicode's control characters and line and paragraph separators


def check_name(path: Path, option: str | None = None) -> None:
    """UsageError for a path salesdq does not take: a control character in it (a newline ends a line of every
    table and log that names the file, and S3 keys with one are among AWS's characters to avoid), or bytes
    that are not UTF-8 (an S3 key is UTF-8). `option`: the option that gave it, named in the message."""
    text = str(path)
    named = f"{option} " if option else ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        readable = os.fsencode(text).decode("utf-8", "backslashreplace")
        raise UsageError(f"{named}{shown(readable)}: the path is not UTF-8: rename it") from None
    bad = next((c for c in text if unicodedata.category(c) in LINE_BREAKING), None)
    if bad is not None:
        raise UsageError(f"{named}{shown(text)}: the path holds a control character ({shown(bad)}): rename it")


def check_input_file(path: Path) -> None:
    """A file the command reads: it exists, is a regular file and can be read; UsageError saying which not."""
    check_name(path)
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"no such file: {path}") from None
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{path}: not a regular file ({_kind(mode)}): give a file salesdq can read to its end")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path}: not readable (permission denied)")


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a socket")


def check_sales_files(paths: Sequence[Path]) -> None:
    """Every path is a file the workflow starts on; UsageError naming the first that is not."""
    for path in paths:
        check_input_file(path)
        if path.suffix not in resources.INCOMING_SUFFIXES:
            raise UsageError(f"{path}: only {' and '.join(resources.INCOMING_SUFFIXES)} files start the workflow")


def check_output(option: str, path: Path, *, directory: bool) -> None:
    """--out, --csv, --html: a path the command can write, checked before any work (a run that cannot write
    its result must not run first). A directory is filled, created with its parents if missing; a file is
    written over, created with its parents if missing. UsageError saying why not."""
    check_name(path, option)
    where = f"{option} {path}"
    try:
        mode: int | None = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as error:
        raise UsageError(f"{where}: {error.strerror}") from None
    if mode is not None:
        if directory and not stat.S_ISDIR(mode):
            raise UsageError(f"{where}: exists and is not a directory: give a directory to write into")
        if not directory and stat.S_ISDIR(mode):
            raise UsageError(f"{where}: is a directory: give a file name")
        if not os.access(path, os.W_OK | (os.X_OK if directory else 0)):
            raise UsageError(f"{where}: not writable (permission denied)")
        return
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{where}: cannot be created: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{where}: cannot be created: {parent} is not writable")
