"""`contract diff` of severities and file-level rules (docs/contracts.md#checking-a-contract-and-comparing-two):
a rule raised from warning to error, or a new error rule, breaks; the reverse relaxes; a warning rule's own
changes move no outcome (doc); a file-level error rule added or its bound narrowed breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesdq.operators.contract import BREAKING, DOC, FILE, RELAXING, diff
from services.contract import load

ROOT = Path(__file__).parents[2]
DEFAULT = ROOT / "contracts" / "sales.odcs.yaml"
EMAIL_WARNING = ROOT / "tests" / "data" / "contracts" / "email-warning.odcs.yaml"
ANCHOR = "  - name: order\n    logicalType: object\n"
NAME_BLANK = "              - id: blank\n                metric: missingValues\n"


def _kinds(old: Path, new: Path) -> list[tuple[str, str, str]]:
    return [(c.kind, c.field, c.change) for c in diff(load(old), load(new)) if c.field != "(contract)"]


def test_a_rule_lowered_to_warning_relaxes_and_raised_to_error_breaks():
    assert _kinds(DEFAULT, EMAIL_WARNING) == [(RELAXING, "contact-info.email", "rule email: error -> warning")]
    assert _kinds(EMAIL_WARNING, DEFAULT) == [(BREAKING, "contact-info.email", "rule email: warning -> error")]


def _file(tmp_path: Path, name: str, *rules: str, prop_rule: str = "") -> Path:
    text = DEFAULT.read_text(encoding="utf-8")
    if rules:
        text = text.replace(ANCHOR, ANCHOR + "    quality:\n" + "".join(f"      - {r}\n" for r in rules), 1)
    if prop_rule:
        at = text.index("          - name: name\n")
        text = text[:at] + text[at:].replace(NAME_BLANK, f"              - {prop_rule}\n" + NAME_BLANK, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("{id: cap, metric: invalidValues, arguments: {pattern: '^[A-Z]'}, mustBe: 0, severity: error}", BREAKING),
        ("{id: cap, metric: invalidValues, arguments: {pattern: '^[A-Z]'}, mustBe: 0}", BREAKING),  # error by default
        ("{id: cap, metric: invalidValues, arguments: {pattern: '^[A-Z]'}, mustBe: 0, severity: warning}", DOC),
    ],
)
def test_a_new_error_rule_breaks_and_a_new_warning_rule_moves_no_outcome(tmp_path, rule, kind):
    old, new = _file(tmp_path, "old.odcs.yaml"), _file(tmp_path, "new.odcs.yaml", prop_rule=rule)
    found = _kinds(old, new)
    assert {(k, f) for k, f, _ in found} == {(kind, "contact-info.name")}, found
    reverse = {(k, f) for k, f, _ in _kinds(new, old)}  # the rule removed
    assert reverse == {(RELAXING if kind == BREAKING else DOC, "contact-info.name")}


ROWS = "{id: rows, metric: rowCount, mustBeGreaterThan: 10, severity: error}"


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ((), (ROWS,), BREAKING),  # an error rule added
        ((ROWS,), (), RELAXING),  # removed
        ((ROWS,), (ROWS.replace("10", "20"),), BREAKING),  # a lower bound raised: narrowed
        ((ROWS,), (ROWS.replace("10", "5"),), RELAXING),
        (("{id: inv, metric: invalidValues, mustBeLessThan: 10, unit: percent}",),
         ("{id: inv, metric: invalidValues, mustBeLessThan: 5, unit: percent}",), BREAKING),  # an upper one lowered
        (("{id: n, metric: rowCount, mustBeBetween: [1, 100]}",),
         ("{id: n, metric: rowCount, mustBeBetween: [2, 100]}",), BREAKING),
        (("{id: n, metric: rowCount, mustBeBetween: [1, 100]}",),
         ("{id: n, metric: rowCount, mustBeBetween: [0, 200]}",), RELAXING),
        ((ROWS.replace("error", "warning"),), (ROWS,), BREAKING),  # warning -> error
        ((ROWS,), (ROWS.replace("error", "warning"),), RELAXING),  # error -> warning
        ((ROWS.replace("error", "warning"),), (ROWS.replace("error", "warning").replace("10", "20"),), DOC),
        (("{id: d, metric: duplicateValues, mustBe: 0}",),
         ("{id: d, metric: duplicateValues, mustBe: 0, unit: percent}",), BREAKING),  # not comparable
    ],
)  # fmt: skip
def test_file_level_rules_are_classified_by_what_they_could_reject(tmp_path, old, new, kind):
    found = _kinds(_file(tmp_path, "old.odcs.yaml", *old), _file(tmp_path, "new.odcs.yaml", *new))
    assert [(k, f) for k, f, _ in found] == [(kind, FILE)], found
