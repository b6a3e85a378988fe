"""`salesdq contract check` and `contract diff` (docs/contracts.md): what salesdq cannot enforce is refused with
the construct's path, exit 2 and no traceback; a file that is not ODCS is refused with the standard's complaint;
a diff classifies each change, and exits 1 when one breaks. Expectations come from the files' own text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from salesdq import cli
from salesdq.operators.contract import BREAKING, DOC, RELAXING, diff, read
from services.contract import UnsupportedConstructError, load
from services.contract.compiler import Prop

ROOT = Path(__file__).parents[2]
DEFAULT = ROOT / "contracts" / "sales.odcs.yaml"
SAMPLES = ROOT / "tests" / "data" / "contracts"
PROPOSAL = SAMPLES / "proposal-email-relaxed-qty-100.odcs.yaml"


def salesdq(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process: a traceback would show on its stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "salesdq", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


# (file, the construct's path in it, the field it is about): each is valid ODCS (the standard's schema takes it)
UNSUPPORTED = [
    ("unsupported-sql.odcs.yaml", "schema[0].properties[0].properties[2].quality[0].query", "order-info.qty"),
    (
        "unsupported-logical-type.odcs.yaml",
        "schema[0].properties[0].properties[2].logicalType",
        "order-info.ordered-at",
    ),
    (
        "unsupported-custom-engine.odcs.yaml",
        "schema[0].properties[0].properties[0].quality[1].engine",
        "order-info.OrderId",
    ),
    ("unsupported-file-sql.odcs.yaml", "schema[0].quality[0].query", None),
    (
        "unsupported-severity.odcs.yaml",
        "schema[0].properties[1].properties[0].quality[0].severity",
        "contact-info.email",
    ),
]


def _at(document: Any, path: str) -> Any:
    """The value at a path like schema[0].properties[2].logicalType, read from the YAML itself."""
    for part in path.replace("]", "").replace("[", ".").split("."):
        document = document[int(part)] if part.isdigit() else document[part]
    return document


@pytest.mark.parametrize(("name", "path", "field"), UNSUPPORTED)
def test_a_valid_odcs_file_with_a_construct_salesdq_cannot_enforce_is_refused_with_its_path(name, path, field):
    document = yaml.safe_load((SAMPLES / name).read_text(encoding="utf-8"))
    assert _at(document, path) is not None  # the path named is where the construct is
    done = salesdq("contract", "check", str(SAMPLES / name))
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert path in done.stderr and (field is None or f"({field})" in done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1  # one line: path and one sentence

    as_json = salesdq("contract", "check", "--json", str(SAMPLES / name))
    assert as_json.returncode == 2
    found = json.loads(as_json.stdout)
    assert found["valid"] is False and found["refused"] == "unsupported"
    assert found["path"].startswith(path)


def test_a_file_that_is_not_odcs_is_refused_with_the_standards_complaint_readably():
    done = salesdq("contract", "check", str(SAMPLES / "not-odcs-sales-file.json"))
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "is not a valid ODCS v3 document" in done.stderr
    for required in ("apiVersion", "kind", "version", "id"):  # what the file lacks, by the standard's names
        assert f"'{required}' is a required property" in done.stderr
    assert "'orders' was unexpected" in done.stderr

    wrong = salesdq("contract", "check", str(SAMPLES / "not-odcs-wrong-kind.odcs.yaml"))
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert 'kind: "DataProduct" is not one of "DataContract"' in wrong.stderr
    assert 'apiVersion: "v9" is not one of' in wrong.stderr


def test_a_file_that_is_no_yaml_or_absent_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: [unclosed\n", encoding="utf-8")
    assert cli.main(["contract", "check", str(bad)]) == 2
    assert "is not YAML (line 2, column 1)" in capsys.readouterr().err
    assert cli.main(["contract", "check", str(tmp_path / "absent.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def _fields(properties: list[dict[str, Any]], at: str = "") -> dict[str, dict[str, Any]]:
    found = {}
    for prop in properties:
        found[f"{at}{prop['name']}"] = prop
        found |= _fields(prop.get("properties", []), f"{at}{prop['name']}.")
    return found


def test_check_of_the_default_contract_says_what_each_field_must_be_under_its_rule_names(capsys):
    document = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    assert cli.main(["contract", "check", "--json", str(DEFAULT)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["valid"] is True and found["version"] == document["version"]
    assert found["contract"].startswith(document["version"] + "+")
    fields = _fields(document["schema"][0]["properties"])
    enforced = {entry["field"]: {r["rule"] for r in entry["rules"]} for entry in found["enforces"]}
    assert set(enforced) == set(fields)
    for name, prop in fields.items():
        assert ("missing" in enforced[name]) == bool(prop.get("required"))
        for rule in prop.get("quality", []):  # every quality rule shows under its own id
            assert rule["id"] in enforced[name], (name, rule["id"])

    assert cli.main(["contract", "check", str(DEFAULT)]) == 0
    words = capsys.readouterr().out
    assert "valid ODCS" in words and "order-info.qty:" in words and "at least 1 [positive_whole]" in words
    assert "DynamoDB's storage limits" in words  # built in, and said so
    described = sorted(set(document) - {"apiVersion", "kind", "id", "version", "schema"})
    assert found["not_enforced"] == described == ["description", "name", "status"]
    assert f"not enforced: {', '.join(described)}" in words


def test_diff_of_the_default_against_a_proposal_names_qty_breaking_and_email_relaxing(capsys):
    old = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    new = yaml.safe_load(PROPOSAL.read_text(encoding="utf-8"))
    old_fields, new_fields = _fields(old["schema"][0]["properties"]), _fields(new["schema"][0]["properties"])
    # the proposal, as its text says: qty gains a maximum of 100, email loses its format
    assert new_fields["order-info.qty"]["logicalTypeOptions"] == {"minimum": 1, "maximum": 100}
    assert "logicalTypeOptions" in old_fields["contact-info.email"]
    assert "logicalTypeOptions" not in new_fields["contact-info.email"]

    assert cli.main(["contract", "diff", "--json", str(DEFAULT), str(PROPOSAL)]) == 1
    found = json.loads(capsys.readouterr().out)
    kinds = {(c["field"], c["kind"]) for c in found["changes"]}
    assert ("order-info.qty", BREAKING) in kinds
    assert ("contact-info.email", RELAXING) in kinds
    assert not any(kind == BREAKING for field, kind in kinds if field != "order-info.qty")
    assert found["breaking"] is True

    done = salesdq("contract", "diff", str(DEFAULT), str(PROPOSAL))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[:2] == ["breaking", "order-info.qty"] and "100" in line for line in lines)
    assert any(line.split()[:2] == ["relaxing", "contact-info.email"] for line in lines)

    # the reverse relaxes qty and breaks email; a contract against itself changes nothing
    assert cli.main(["contract", "diff", "--json", str(PROPOSAL), str(DEFAULT)]) == 1
    reverse = {(c["field"], c["kind"]) for c in json.loads(capsys.readouterr().out)["changes"]}
    assert {("order-info.qty", RELAXING), ("contact-info.email", BREAKING)} <= reverse
    assert cli.main(["contract", "diff", str(DEFAULT), str(DEFAULT)]) == 0
    assert capsys.readouterr().out.strip() == "no changes"


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "kind"),
    [
        # a field no longer required relaxes; a text property that no longer takes numbers breaks
        (
            "          - name: item-id\n            logicalType: string\n            required: true",
            "          - name: item-id\n            logicalType: string\n            required: false",
            "order-info.item-id",
            RELAXING,
        ),
        (
            "          - name: item-id\n            logicalType: string\n            required: true\n"
            "            customProperties:\n              - property: acceptWholeNumbers\n                value: true",
            "          - name: item-id\n            logicalType: string\n            required: true\n"
            "            customProperties:\n              - property: acceptWholeNumbers\n                value: false",
            "order-info.item-id",
            BREAKING,
        ),
        ("              minimum: 1\n", "              minimum: 2\n", "order-info.qty", BREAKING),
        ("              minimum: 1\n", "              minimum: 0\n", "order-info.qty", RELAXING),
        ("value: [orderId, order-id, order_id]", "value: [orderId, order-id]", "order-info.OrderId", BREAKING),
        ("  - id: positive_whole", "  - id: qty_whole", "order-info.qty", BREAKING),
        ("description: A positive whole number;", "description: A whole number above zero;", "order-info.qty", DOC),
    ],
)
def test_each_change_is_classified(tmp_path, old, new, field, kind):
    changes = diff(load(DEFAULT), read(_variant(tmp_path, "v.odcs.yaml", old, new)))
    assert [(c.field, c.kind) for c in changes] == [(field, kind)], changes


def test_the_compiler_maps_the_constructs_a_user_contract_may_use(tmp_path):
    """Bounds, lengths, patterns, allowed values and nested objects, beyond what the default contract uses."""
    extra = """          - name: currency
            logicalType: string
            logicalTypeOptions:
              minLength: 3
              maxLength: 3
              pattern: "^[A-Z]+$"
          - name: channel
            logicalType: string
            enum:
              - value: web
              - value: shop
          - name: price
            logicalType: number
            logicalTypeOptions:
              minimum: 0
              maximum: 1000
          - name: gift
            logicalType: boolean
          - name: shipping
            logicalType: object
            properties:
              - name: zip
                logicalType: string
                required: true
"""
    path = _variant(tmp_path, "rich.odcs.yaml", "          - name: qty\n", extra + "          - name: qty\n")
    compiled = load(path)
    good = {
        "order-info": {"OrderId": "1", "item-id": "I", "qty": 1, "currency": "EUR", "channel": "web", "price": 9.5,
                       "gift": False, "shipping": {"zip": "123"}},
        "contact-info": {"name": "A", "email": "a@b.co"},
    }  # fmt: skip
    assert compiled.check(good).complete
    cases = [
        ("currency", "EURO", "max_length"),
        ("currency", "EU", "min_length"),
        ("currency", "eur", "pattern"),
        ("currency", 5, "type"),
        ("channel", "mail", "allowed_values"),
        ("price", -1, "minimum"),
        ("price", 1000.5, "maximum"),
        ("price", "9", "type"),
        ("gift", "yes", "type"),
        ("shipping", "x", "type"),
        ("shipping", {}, "missing"),
    ]
    for name, value, rule in cases:
        record = json.loads(json.dumps(good))
        record["order-info"][name] = value
        reasons = [(r.field.split(".")[1], str(r.rule)) for r in compiled.check(record).reasons]
        assert reasons == [(name, rule)], (name, value, reasons)


def test_a_property_the_plan_does_not_know_changes_the_digest_not_a_description(tmp_path):
    base = load(DEFAULT)
    reworded = load(_variant(tmp_path, "a.odcs.yaml", "description: A positive whole number;", "description: Qty;"))
    tightened = load(_variant(tmp_path, "b.odcs.yaml", "              minimum: 1\n", "              minimum: 2\n"))
    assert reworded.version == base.version
    assert tightened.version != base.version and tightened.version.startswith("2.0.0+")
    assert isinstance(base.plan.properties[0], Prop)


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        # a construct that would otherwise be skipped in silence, each refused where it is
        ("              - id: positive_whole\n",
         "              - {id: qty_blank, metric: missingValues, arguments: {missingValues: ['']}, mustBe: 0}\n"
         "              - id: positive_whole\n",
         "schema[0].properties[0].properties[2].quality[0] (order-info.qty)"),
        ("            required: true\n            primaryKey: true",
         "            required: false\n            primaryKey: true",
         "schema[0].properties[0].properties[0].required (order-info.OrderId)"),
        ("              format: email\n",
         "              format: email\n              pattern: '^a'\n            enum: [{value: a@b.co}]\n",
         None),  # allowed values and a pattern on a string: supported
        ("          - name: item-id\n", "          - name: item-id\n            physicalName: item_id\n",
         "schema[0].properties[0].properties[1].physicalName (order-info.item-id)"),
        ("              format: email\n", "              format: email\n              pattern: '(unclosed'\n",
         "schema[0].properties[1].properties[0].logicalTypeOptions.pattern (contact-info.email)"),
    ],
)  # fmt: skip
def test_what_the_compiler_would_skip_is_refused_with_its_path(tmp_path, old, new, path):
    variant = _variant(tmp_path, "v.odcs.yaml", old, new)
    if path is None:
        assert load(variant).check(yaml.safe_load("{order-info: {OrderId: '1', item-id: I, qty: 1}, "
                                                  "contact-info: {name: A, email: a@b.co}}")).complete  # fmt: skip
        return
    with pytest.raises(UnsupportedConstructError) as refused:
        load(variant)
    assert refused.value.path == path


def test_the_key_is_judged_by_its_own_checks_too(tmp_path):
    variant = _variant(
        tmp_path,
        "k.odcs.yaml",
        "            primaryKey: true\n            primaryKeyPosition: 1\n",
        "            primaryKey: true\n            primaryKeyPosition: 1\n            logicalTypeOptions:\n"
        "              pattern: '^T-[0-9]+$'\n",
    )
    compiled = load(variant)
    record = {
        "order-info": {"order_id": " T-7 ", "item-id": "I", "qty": 1},
        "contact-info": {"name": "A", "email": "a@b.co"},
    }
    assert compiled.check(record).complete
    record["order-info"]["order_id"] = "X-7"
    verdict = compiled.check(record)
    assert verdict.order_id == "X-7"
    assert [(r.field, r.rule) for r in verdict.reasons] == [("order-info.OrderId", "pattern")]
