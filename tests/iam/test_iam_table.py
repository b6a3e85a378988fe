"""docs/deploy.md's table of the stack's principals and their grants is the one the template gives."""

from __future__ import annotations

from scripts.iam_policies import Template
from scripts.iam_table import documented, markdown


def test_the_documented_table_is_the_templates(template: Template) -> None:
    assert documented() == markdown(template), "regenerate it: python -m scripts.iam_table"
