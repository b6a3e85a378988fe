"""docs/validation.md must not drift from the default contract (contracts/sales.odcs.yaml): its table of record
rules names, for each field the contract judges, exactly the rules the compiled contract fails it under, and the
order id's aliases and the email's limits the contract applies."""

from __future__ import annotations

import re
from pathlib import Path

from salesdq.operators.contract import rules_of
from services.contract import compiler, default

DOCS = Path(__file__).parents[2] / "docs" / "validation.md"
RULES = re.compile(r"\((`[a-z_]+`(?:, `[a-z_]+`)*)\)")  # a parenthesis holding only rule names


def _rows() -> dict[str, str]:
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = lines.index("| field | rule (name in reasons) |")
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        field, rule = (cell.strip() for cell in line.strip("|").split("|", 1))
        rows[field.strip("`")] = rule
    return rows


def _rules(text: str) -> set[str]:
    return {name.strip("`") for group in RULES.findall(text) for name in group.split(", ")}


def test_the_record_rules_table_and_the_default_contract_agree() -> None:
    contract = default()
    rows = _rows()
    judged = {}
    for section in contract.plan.properties:
        for prop in section.properties:
            judged["order id" if prop.primary_key else prop.name] = prop
    documented_only = {field for field, text in rows.items() if text == "optional"}  # kept, never judged
    assert set(rows) - documented_only == set(judged)
    for field, prop in judged.items():
        assert _rules(rows[field]) == {rule for rule, _ in rules_of(prop)}, field
    key = next(p for p in judged.values() if p.primary_key)
    for name in (key.name, *key.aliases):
        assert f"`{name}`" in rows["order id"]
    assert (
        f"at most {compiler.MAX_EMAIL_LOCAL_BYTES} bytes before the `@` and {compiler.MAX_EMAIL_DOMAIN_BYTES}"
        in (rows["email"])
    )


def test_the_table_parser_sees_a_drifted_rule() -> None:
    assert _rules("present, not blank (`missing`, `type`, `blank`); no control (`control_character`)") == {
        "missing",
        "type",
        "blank",
        "control_character",
    }
    assert _rules("(normalized to `OrderId`)") == set()
