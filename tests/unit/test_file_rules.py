"""File-level rules (docs/contracts.md#file-level-rules): a schema-level quality rule compiled from the ODCS
fields (metric, one operator, unit, severity), judged on a run's counts; what salesdq cannot measure of a file
is refused with its path. Expected verdicts are worked out here from the counts and the bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.contract import UnsupportedConstructError, load
from services.contract.file_rules import ALERT, PASSED, REJECTED, FileCounts, judge, outcome

ROOT = Path(__file__).parents[2]
DEFAULT = ROOT / "contracts" / "sales.odcs.yaml"
FILE_RULES = ROOT / "tests" / "data" / "contracts" / "file-rules.odcs.yaml"
ANCHOR = "  - name: order\n    logicalType: object\n"


def _with(tmp_path: Path, *rules: str) -> Path:
    """The default contract with these schema-level quality rules (YAML flow mappings)."""
    block = "    quality:\n" + "".join(f"      - {rule}\n" for rule in rules)
    path = tmp_path / "f.odcs.yaml"
    path.write_text(DEFAULT.read_text(encoding="utf-8").replace(ANCHOR, ANCHOR + block, 1), encoding="utf-8")
    return path


# (rule, counts (records, invalid, repeats), whether it holds): each bound at and past its edge
CASES = [
    ("{id: r, metric: rowCount, mustBeGreaterThan: 10}", (10, 0, 0), False),
    ("{id: r, metric: rowCount, mustBeGreaterThan: 10}", (11, 0, 0), True),
    ("{id: r, metric: rowCount, mustBeGreaterOrEqualTo: 10}", (10, 0, 0), True),
    ("{id: r, metric: rowCount, mustBeLessThan: 5}", (5, 0, 0), False),
    ("{id: r, metric: rowCount, mustBeLessOrEqualTo: 5}", (5, 0, 0), True),
    ("{id: r, metric: rowCount, mustBeBetween: [2, 4]}", (2, 0, 0), True),
    ("{id: r, metric: rowCount, mustBeBetween: [2, 4]}", (4, 0, 0), True),
    ("{id: r, metric: rowCount, mustBeBetween: [2, 4]}", (5, 0, 0), False),
    ("{id: r, metric: rowCount, mustNotBeBetween: [2, 4]}", (1, 0, 0), True),
    ("{id: r, metric: rowCount, mustNotBeBetween: [2, 4]}", (3, 0, 0), False),
    ("{id: r, metric: rowCount, mustBe: 3}", (3, 0, 0), True),
    ("{id: r, metric: rowCount, mustNotBe: 3}", (3, 0, 0), False),
    ("{id: d, metric: duplicateValues, mustBe: 0}", (9, 0, 1), False),
    ("{id: d, metric: duplicateValues, mustBe: 0, arguments: {properties: [OrderId]}}", (9, 3, 0), True),
    ("{id: d, metric: duplicateValues, mustBeLessThan: 10, unit: percent}", (10, 0, 1), False),  # 10% is not < 10
    ("{id: d, metric: duplicateValues, mustBeLessThan: 10, unit: percent}", (11, 0, 1), True),  # 9.09%
    ("{id: i, metric: invalidValues, mustBeLessOrEqualTo: 2}", (100, 2, 5), True),
    ("{id: i, metric: invalidValues, mustBeLessOrEqualTo: 2}", (100, 3, 0), False),
    ("{id: i, metric: invalidValues, mustBeLessThan: 25, unit: percent}", (4, 1, 0), False),  # 25%
    ("{id: i, metric: invalidValues, mustBeLessThan: 25, unit: percent}", (5, 1, 0), True),  # 20%
]


@pytest.mark.parametrize(("rule", "counts", "holds"), CASES)
def test_each_operator_and_unit_judges_the_runs_counts(tmp_path, rule, counts, holds):
    contract = load(_with(tmp_path, rule))
    (found,) = contract.judge_file(FileCounts(*counts))
    assert found.passed is holds
    records, invalid, repeats = counts
    measured = {"r": records, "d": repeats, "i": invalid}[found.rule.id]
    expected = round(100 * measured / records, 4) if "percent" in rule else measured
    assert found.value == expected


def test_the_verdict_is_rejected_by_a_failed_error_alert_by_a_failed_warning():
    contract = load(FILE_RULES)  # rows_in_range [1, 1000] error, repeated_ids <= 1 warning, max_invalid < 10% error
    assert outcome(contract.judge_file(FileCounts(records=50, invalid=4, repeats=1))) == (PASSED, None)
    verdict, reason = outcome(contract.judge_file(FileCounts(records=50, invalid=4, repeats=2)))
    assert verdict == ALERT and reason is not None and reason.startswith("alert by rule repeated_ids: 2 ")
    verdict, reason = outcome(contract.judge_file(FileCounts(records=50, invalid=5, repeats=2)))
    assert verdict == REJECTED and reason is not None
    assert reason.startswith("rejected by rule max_invalid: 10% invalid records")  # 5 of 50, named with its share
    assert "repeated_ids" not in reason  # the errors say why it is rejected
    assert [r.passed for r in contract.judge_file(FileCounts(1001, 0, 0))] == [False, True, True]
    assert judge((), FileCounts(1, 1, 1)) == []


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("{id: n, metric: nullValues, mustBe: 0}", "schema[0].quality[0].metric"),
        ("{id: n, metric: missingValues, mustBe: 0, arguments: {missingValues: ['']}}", "schema[0].quality[0].metric"),
        ("{id: r, metric: rowCount, mustBeGreaterThan: 1, unit: percent}", "schema[0].quality[0].unit"),
        ("{id: d, metric: duplicateValues, mustBe: 0, arguments: {properties: [item-id]}}",
         "schema[0].quality[0].arguments"),
        ("{id: i, metric: invalidValues, mustBe: 0, arguments: {validValues: [a]}}", "schema[0].quality[0].arguments"),
        ("{id: r, metric: rowCount, mustBeGreaterThan: 1, severity: info}", "schema[0].quality[0].severity"),
        ("{metric: rowCount, mustBeGreaterThan: 1}", "schema[0].quality[0].id"),
        ("{id: c, type: custom, engine: soda, implementation: 'row_count > 1'}", "schema[0].quality[0].engine"),
        ("{id: t, type: text, description: every file is complete}", "schema[0].quality[0]"),
        ("{id: s, type: sql, query: SELECT 1, mustBe: 1}", "schema[0].quality[0].query"),
    ],
)  # fmt: skip
def test_what_salesdq_cannot_measure_of_a_file_is_refused_with_its_path(tmp_path, rule, path):
    with pytest.raises(UnsupportedConstructError) as refused:
        load(_with(tmp_path, rule))
    assert refused.value.path == path


def test_file_rules_name_the_contract_and_a_contract_without_them_keeps_its_name(tmp_path):
    base = load(DEFAULT)
    assert base.plan.file_rules == ()
    one = load(_with(tmp_path, "{id: r, metric: rowCount, mustBeGreaterThan: 10}"))
    other = load(_with(tmp_path, "{id: r, metric: rowCount, mustBeGreaterThan: 11}"))
    assert len({base.digest, one.digest, other.digest}) == 3
