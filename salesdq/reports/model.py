"""The data-quality report document: what the report computation produces and every renderer reads.

One definition of the document's shape, as frozen dataclasses whose field names are the JSON keys. `to_dict()`
and `to_json()` write it, `Report.from_dict()` and `Report.from_json()` read it back and refuse a document with
a missing or unknown key, or a status or alert kind outside the vocabulary, naming where it is.

A quality score is the share of a file's records that ended complete, (stored + duplicates) / records, as a
fraction in [0, 1]; it is None where there are no records (a rejected or duplicate file, an empty day).
"""

from __future__ import annotations

import dataclasses
import json
import types
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from salesdq.errors import SalesdqError

FILE_STATUSES = ("completed", "rejected", "duplicate", "failed")
ALERT_KINDS = ("file", "day", "rule")  # rule: a file-level rule of the contract failed (docs/contracts.md)
VERDICTS = ("passed", "alert", "rejected")  # a completed file's under its contract's file-level rules


@dataclass(frozen=True)
class Window:
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None  # YYYY-MM-DD, inclusive
    file: str | None = None  # a file name or file_id: a report on one file


@dataclass(frozen=True)
class Totals:
    files: int
    records: int
    stored: int
    duplicates: int
    quarantined: int
    redriven: int
    quality_score: float | None  # at arrival
    quality_score_now: float | None  # after redrives and replays


@dataclass(frozen=True)
class FileEntry:
    file: str
    file_id: str
    at: str
    status: str  # one of FILE_STATUSES
    records: int
    stored: int
    duplicates: int
    quarantined: int
    redriven: int
    quality_score: float | None  # at arrival: (stored + duplicates) / records
    quality_score_now: float | None  # after redrives and replays
    contract_version: str | None
    reason: str | None  # why a file was rejected or failed, or which file-level rule it failed
    warnings: int = 0  # failures of rules of severity warning among its records (stored with them)
    verdict: str | None = None  # one of VERDICTS; None: its contract has no file-level rules, or it did not complete
    file_rules: list[FileRuleResult] = field(default_factory=list)


@dataclass(frozen=True)
class FileRuleResult:
    """A file-level rule of the contract, judged once on a completed run's counts."""

    rule: str  # its quality id
    metric: str  # rowCount, duplicateValues or invalidValues
    severity: str  # error (the file is rejected) or warning (it alerts)
    value: float  # what the run measured, in `unit`
    unit: str  # rows or percent
    expected: str  # the operator and its bound, as the contract says: mustBeGreaterThan 10
    passed: bool


@dataclass(frozen=True)
class RuleFailures:
    rule: str
    count: int
    share: float
    examples: list[str] = field(default_factory=list)  # quarantine ids


@dataclass(frozen=True)
class RuleWarnings:
    """Records a rule of severity warning warned of: stored all the same, so apart from failures."""

    rule: str
    count: int
    share: float


@dataclass(frozen=True)
class FieldFailures:
    field: str
    count: int
    share: float


@dataclass(frozen=True)
class Failures:
    by_rule: list[RuleFailures] = field(default_factory=list)
    by_field: list[FieldFailures] = field(default_factory=list)


@dataclass(frozen=True)
class Day:
    day: str
    files: int
    records: int
    stored: int
    duplicates: int
    quarantined: int
    quality_score: float | None


@dataclass(frozen=True)
class Alert:
    kind: str  # one of ALERT_KINDS
    file: str | None
    file_id: str | None
    day: str | None
    quality_score: float | None
    baseline: float | None
    reason: str  # one sentence


@dataclass(frozen=True)
class Settings:
    baseline_window: int = 7
    margin: float = 0.05
    fail_under: float | None = None


@dataclass(frozen=True)
class Report:
    window: Window
    empty: bool
    totals: Totals
    files: list[FileEntry]
    failures: Failures
    days: list[Day]
    alerts: list[Alert]
    settings: Settings
    warnings: list[RuleWarnings] = field(default_factory=list)  # by rule, apart from failures

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Report:
        report = _build(cls, document, "report")
        for i, entry in enumerate(report.files):
            if entry.status not in FILE_STATUSES:
                raise ReportFormatError(f"report.files[{i}].status: {entry.status!r} is not one of {FILE_STATUSES}")
            if entry.verdict is not None and entry.verdict not in VERDICTS:
                raise ReportFormatError(f"report.files[{i}].verdict: {entry.verdict!r} is not one of {VERDICTS}")
        for i, alert in enumerate(report.alerts):
            if alert.kind not in ALERT_KINDS:
                raise ReportFormatError(f"report.alerts[{i}].kind: {alert.kind!r} is not one of {ALERT_KINDS}")
        return report

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))


class ReportFormatError(SalesdqError, ValueError):
    """A document that is not a report: the message names the key path and what is wrong with it."""


T = TypeVar("T")


def _build(cls: type[T], value: Any, where: str) -> T:
    if not isinstance(value, dict):
        raise ReportFormatError(f"{where}: expected an object, got {type(value).__name__}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    missing = [n for n in names if n not in value]
    unknown = sorted(set(value) - set(names))
    if missing or unknown:
        raise ReportFormatError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    return cls(**{n: _value(hints[n], value[n], f"{where}.{n}") for n in names})


def _value(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):  # X | None
        if value is None:
            return None
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _value(inner, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ReportFormatError(f"{where}: expected a list, got {type(value).__name__}")
        (item,) = get_args(hint)
        return [_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ReportFormatError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value
