"""docs/deploy.md names what the stack creates as salesdq/resources.py defines it: every function, table and
stack output, and the number of rule names the RuleFailures metric can take."""

from __future__ import annotations

import re
from pathlib import Path

from salesdq import resources
from services.domain.contract import Rule

DEPLOY = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_every_function_table_and_output_is_named() -> None:
    names = [spec.name for spec in resources.ALL_FUNCTIONS] + [table.name for table in resources.TABLES]
    outputs = [value for key, value in vars(resources).items() if key.startswith("OUTPUT_")]
    missing = [name for name in [*names, *outputs] if f"`{name}`" not in DEPLOY]
    assert missing == []
    made_up = set(re.findall(r"`(salesdq-[a-z-]+)`", DEPLOY)) - {*names, resources.QUARANTINE.name}
    assert made_up <= {resources.INGEST.name, resources.INGEST_RULE, "salesdq-quality-score-low"}


def test_the_rule_count_is_the_contracts() -> None:
    assert f"rule names ({len(Rule)}:" in DEPLOY
