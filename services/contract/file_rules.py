"""File-level rules: the quality rules of the contract's schema object, judged once per run (Finalize) on the
run's counts, never on a record (docs/contracts.md#file-level-rules).

ODCS's library metrics, as salesdq measures them on one file:
- `rowCount`: the file's records (`unit: rows` only).
- `duplicateValues` (its `arguments.properties`, if given, naming the primaryKey): the records whose order id an
  earlier complete record of the file has (the file's duplicates and conflicts among its own records).
- `invalidValues`, which ODCS defines per property, taken at schema level for the record as a whole (ODCS has no
  schema-level metric for it; this is the closest): the records the run quarantined for failing the contract or
  a built-in rule, conflicts with stored orders left out (those are the key's, and duplicateValues' business).
Each is compared by its one operator (`mustBe`, `mustNotBe`, `mustBeGreaterThan`, `mustBeGreaterOrEqualTo`,
`mustBeLessThan`, `mustBeLessOrEqualTo`, `mustBeBetween`, `mustNotBeBetween`; between is inclusive), in `rows`
(the default) or `percent` of the file's records. A failed `warning` rule alerts; a failed `error` rule rejects
the file: its run says so, by rule and measure. The records keep the outcomes they had: the verdict is the
file's, recorded on its run (file.completed), and reports and `runs` show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from open_data_contract_standard.model import DataQuality

from services.contract.errors import UnsupportedConstructError

ROWS, PERCENT = "rows", "percent"
ROW_COUNT, DUPLICATE_VALUES, INVALID_VALUES = "rowCount", "duplicateValues", "invalidValues"
METRICS = (ROW_COUNT, DUPLICATE_VALUES, INVALID_VALUES)
PASSED, ALERT, REJECTED = "passed", "alert", "rejected"
_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
_WORDS = {
    "mustBe": "must be",
    "mustNotBe": "must not be",
    "mustBeGreaterThan": "must be more than",
    "mustBeGreaterOrEqualTo": "must be at least",
    "mustBeLessThan": "must be less than",
    "mustBeLessOrEqualTo": "must be at most",
    "mustBeBetween": "must be between",
    "mustNotBeBetween": "must not be between",
}
_MEASURED = {ROW_COUNT: "records", DUPLICATE_VALUES: "repeated order ids", INVALID_VALUES: "invalid records"}


@dataclass(frozen=True)
class FileRule:
    """One compiled file-level rule: part of the contract's digest."""

    id: str
    metric: str
    severity: str  # error or warning
    unit: str  # rows or percent
    operator: str  # one of _OPERATORS
    bound: tuple[float, ...]  # one value; two (low, high) for the between operators

    def holds(self, value: float) -> bool:
        low, high = self.bound[0], self.bound[-1]
        inside = low <= value <= high
        return {
            "mustBe": value == low,
            "mustNotBe": value != low,
            "mustBeGreaterThan": value > low,
            "mustBeGreaterOrEqualTo": value >= low,
            "mustBeLessThan": value < low,
            "mustBeLessOrEqualTo": value <= low,
            "mustBeBetween": inside,
            "mustNotBeBetween": not inside,
        }[self.operator]

    def expected(self) -> str:
        """The operator and its bound, as the contract writes them: `mustBeLessThan 10 percent`."""
        bound = " and ".join(_number(b) for b in self.bound)
        return f"{self.operator} {bound}" + (" percent" if self.unit == PERCENT else "")

    def words(self) -> str:
        """What the rule asks, in words: `invalid records must be less than 10% of the file's records`."""
        bound = " and ".join(_number(b) for b in self.bound)
        of = "% of the file's records" if self.unit == PERCENT else ""
        return f"{_MEASURED[self.metric]} {_WORDS[self.operator]} {bound}{of}"


@dataclass(frozen=True)
class FileCounts:
    """What a file-level rule measures of a completed run."""

    records: int
    invalid: int  # quarantined, conflicts left out
    repeats: int  # records whose order id an earlier complete record of the file has

    def measure(self, metric: str, unit: str) -> float:
        rows = {ROW_COUNT: self.records, DUPLICATE_VALUES: self.repeats, INVALID_VALUES: self.invalid}[metric]
        if unit == ROWS:
            return rows
        return round(100 * rows / self.records, 4) if self.records else 0.0


@dataclass(frozen=True)
class FileVerdict:
    """A file-level rule judged on one run."""

    rule: FileRule
    value: float
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        """As the run's file.completed event and the report hold it."""
        return {
            "rule": self.rule.id,
            "metric": self.rule.metric,
            "severity": self.rule.severity,
            "value": self.value,
            "unit": self.rule.unit,
            "expected": self.rule.expected(),
            "passed": self.passed,
        }

    def sentence(self) -> str:
        measured = _number(self.value) + ("%" if self.rule.unit == PERCENT else "")
        return f"{self.rule.id}: {measured} {_MEASURED[self.rule.metric]}; {self.rule.words()}"


def judge(rules: Sequence[FileRule], counts: FileCounts) -> list[FileVerdict]:
    found = []
    for rule in rules:
        value = counts.measure(rule.metric, rule.unit)
        found.append(FileVerdict(rule, value, rule.holds(value)))
    return found


def outcome(verdicts: Sequence[FileVerdict]) -> tuple[str, str | None]:
    """The file's verdict (passed, alert or rejected) and, unless it passed, the sentence a run and a report
    give: `rejected by rule max_invalid: 40% invalid records; invalid records must be less than 10% ...`."""
    failed = [v for v in verdicts if not v.passed]
    errors = [v for v in failed if v.rule.severity == "error"]
    if errors:
        return REJECTED, "rejected by rule " + "; rule ".join(v.sentence() for v in errors)
    if failed:
        return ALERT, "alert by rule " + "; rule ".join(v.sentence() for v in failed)
    return PASSED, None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ------------------------------------------------------------------ ODCS -> file rules


def compile_rule(rule: DataQuality, where: str, severity: str, key: tuple[str, str]) -> FileRule:
    """One schema-level quality rule; `key`: the primaryKey as (object property, name)."""
    kind = rule.type or "library"
    if kind == "sql":
        raise UnsupportedConstructError(f"{where}.query", "salesdq runs no SQL: a file is judged on its run's counts")
    if kind == "text":
        raise UnsupportedConstructError(where, "a text quality rule is prose: salesdq cannot enforce it")
    if kind == "custom":
        raise UnsupportedConstructError(f"{where}.engine", f"salesdq runs no `{rule.engine}` checks on a file")
    if not rule.id:
        raise UnsupportedConstructError(f"{where}.id", "salesdq names a failure by its quality rule's id; give it one")
    if rule.metric not in METRICS:
        raise UnsupportedConstructError(
            f"{where}.metric",
            f"salesdq does not enforce metric `{rule.metric}` on a file (rowCount, duplicateValues, invalidValues)",
        )
    unit = rule.unit or ROWS
    if unit not in (ROWS, PERCENT) or (rule.metric == ROW_COUNT and unit != ROWS):
        allowed = "rows" if rule.metric == ROW_COUNT else "rows or percent"
        raise UnsupportedConstructError(f"{where}.unit", f"salesdq measures {rule.metric} in {allowed}")
    _arguments(rule, where, key)
    given = {name: getattr(rule, name) for name in _OPERATORS if getattr(rule, name) is not None}
    if len(given) != 1:
        raise UnsupportedConstructError(where, "a file-level rule compares its metric by one operator")
    ((operator, value),) = given.items()
    bound = tuple(value) if isinstance(value, list) else (value,)
    if not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bound):
        raise UnsupportedConstructError(f"{where}.{operator}", "a file-level rule's bound is a number")
    return FileRule(rule.id, rule.metric, severity, unit, operator, tuple(float(b) for b in bound))


def _arguments(rule: DataQuality, where: str, key: tuple[str, str]) -> None:
    arguments = rule.arguments or {}
    if rule.metric != DUPLICATE_VALUES:
        if arguments:
            raise UnsupportedConstructError(f"{where}.arguments", f"{rule.metric} on a file takes no arguments")
        return
    names = arguments.get("properties")
    if set(arguments) - {"properties"} or (names is not None and names not in ([key[1]], [f"{key[0]}.{key[1]}"])):
        raise UnsupportedConstructError(
            f"{where}.arguments",
            f"salesdq counts duplicate values of the primaryKey only (properties: [{key[1]}])",
        )
