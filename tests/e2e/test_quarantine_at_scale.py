"""`quarantine list`, its filters and `quarantine export` with 12,003 quarantined records on `salesdq local up`:
every command a subprocess over HTTP, as an operator runs it, checked against what the oracle says each record breaks.

The generated file (scripts/make_sales_file.py at --incomplete 1.0) breaks a rule in every record (12,000); a
second, small file quarantines 3 records that break the same rules, so `--file` has something to leave out.
Each command must end within the runner's timeout, a bound on a hang, not a timing: how long each takes, at
100,000 records, is measured by `python -m bench.quarantine_scale --records 100000 --local-up`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts import make_sales_file

from .helpers import Oracle, local_up, order, parsed, reason_pairs, salesdq, same, write_json

pytestmark = pytest.mark.e2e

RECORDS = 12_000
COMMAND_TIMEOUT_S = 240


@dataclass(frozen=True)
class Quarantined:
    """What the oracle expects in the open set: each quarantine id with its file, record and (field, rule) pairs."""

    file: dict[str, str]
    record: dict[str, Any]
    reasons: dict[str, frozenset[tuple[str, str]]]

    def ids(self, *, file: str | None = None, rule: str | None = None, field: str | None = None) -> set[str]:
        return {
            quarantine_id
            for quarantine_id, pairs in self.reasons.items()
            if (file is None or self.file[quarantine_id] == file)
            and (rule is None or any(r == rule for _, r in pairs))
            and (field is None or any(f == field for f, _ in pairs))
        }


def succeeded(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    result = salesdq(env, *args, timeout=COMMAND_TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def _expect(path: Path, file: str, records: list[Any], into: Quarantined) -> None:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    for index, (written, expected) in enumerate(zip(records, Oracle().run(records), strict=True)):
        if expected.outcome == "quarantined":
            quarantine_id = f"{sha}:{index}"
            into.file[quarantine_id], into.record[quarantine_id], into.reasons[quarantine_id] = (
                file,
                parsed(written),
                expected.reasons,
            )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Quarantined]]:
    directory = tmp_path_factory.mktemp("quarantine-at-scale")
    big = directory / "all-incomplete.json"
    make_sales_file.main(["--records", str(RECORDS), "--incomplete", "1.0", "--seed", "11", "--out", str(big)])
    small_records = [
        order("s1", email="s1-at-example.com"),
        order("s2", name=""),
        order("s3", qty=0),
        order("s4"),  # valid: stored, not listed
    ]
    small = write_json(directory, "small.json", {"orders": small_records})
    expected = Quarantined({}, {}, {})
    _expect(big, "incoming/all-incomplete.json", json.loads(big.read_text())["orders"], expected)
    _expect(small, "incoming/small.json", small_records, expected)
    assert len(expected.reasons) == RECORDS + 3  # the generator breaks every record; the oracle agrees

    with local_up() as env:
        for path in (big, small):
            totals = json.loads(succeeded(env, "upload", path, "--wait", "--json").stdout)["totals"]
            assert totals["quarantined"] == len(expected.ids(file=f"incoming/{path.name}"))
        yield env, expected


def _listed(env: dict[str, str], *filters: str) -> list[dict[str, Any]]:
    return list(json.loads(succeeded(env, "quarantine", "list", "--json", *filters).stdout))


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_quarantine_list_lists_every_quarantined_record_once_with_its_reasons(
    stack: tuple[dict[str, str], Quarantined],
) -> None:
    env, expected = stack
    items = _listed(env)
    assert len(items) == len(expected.reasons)  # nothing twice, nothing missing
    assert {item["id"]: reason_pairs(item["reasons"]) for item in items} == expected.reasons
    assert {item["id"]: item["file"] for item in items} == expected.file


@pytest.mark.parametrize(
    "filters",
    [
        {"file": "all-incomplete.json"},
        {"file": "small.json"},
        {"rule": "email"},
        {"rule": "positive_whole"},
        {"field": "contact-info.name"},
        {"field": "order-info.OrderId"},
        {"file": "small.json", "rule": "email"},
        {"file": "all-incomplete.json", "rule": "missing", "field": "contact-info"},
    ],
    ids=lambda filters: ",".join(f"{k}={v}" for k, v in filters.items()),
)
def test_each_filter_selects_exactly_the_records_the_oracle_expects(
    stack: tuple[dict[str, str], Quarantined], filters: dict[str, str]
) -> None:
    env, expected = stack
    wanted = expected.ids(
        file=f"incoming/{filters['file']}" if "file" in filters else None,
        rule=filters.get("rule"),
        field=filters.get("field"),
    )
    assert wanted  # the generated file breaks every rule here, so an empty answer would prove nothing
    flags = [part for key, value in filters.items() for part in (f"--{key}", value)]
    listed = _ids(_listed(env, *flags))
    assert len(listed) == len(set(listed))
    assert set(listed) == wanted


def test_a_limit_gives_that_many_of_the_selected_records(stack: tuple[dict[str, str], Quarantined]) -> None:
    env, expected = stack
    first = _ids(_listed(env, "--limit", "100"))
    assert len(first) == len(set(first)) == 100 and set(first) <= set(expected.reasons)
    emails = _ids(_listed(env, "--rule", "email", "--limit", "7"))
    assert len(emails) == len(set(emails)) == 7 and set(emails) <= expected.ids(rule="email")


def test_quarantine_export_writes_every_quarantined_record_as_it_arrived(
    stack: tuple[dict[str, str], Quarantined], tmp_path: Path
) -> None:
    env, expected = stack
    out = tmp_path / "quarantined.jsonl"
    succeeded(env, "quarantine", "export", "--out", out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == len(expected.reasons)
    by_id = {line["id"]: line for line in lines}
    assert {quarantine_id: reason_pairs(line["reasons"]) for quarantine_id, line in by_id.items()} == expected.reasons
    unlike = [
        quarantine_id
        for quarantine_id, line in by_id.items()
        if not same(line["record"], expected.record[quarantine_id])
    ]
    assert unlike == []

    narrowed = tmp_path / "names.jsonl"
    succeeded(
        env, "quarantine", "export", "--file", "all-incomplete.json", "--field", "contact-info.name", "--out", narrowed
    )
    names = [json.loads(line)["id"] for line in narrowed.read_text().splitlines()]
    assert sorted(names) == sorted(expected.ids(file="incoming/all-incomplete.json", field="contact-info.name"))
