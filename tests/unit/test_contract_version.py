"""The contract's version moves with its rules: its verdicts on a fixed set of probe records (one or more per
rule and boundary) are digested, and the digest is recorded beside the version (tests/data/contract-version.json).
A rule that changes a verdict changes the digest; then the version must change too. The version is the default
contract's `version` and the digest of what it compiles to, so a changed contract changes it by itself; a changed
built-in rule must raise BUILT_IN_RULES in services/domain/contract.py.

After a deliberate rule change: record the new digest with `python -m tests.unit.test_contract_version --record`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from services.contract import compiler
from services.contract import default as compiler_default
from services.domain import contract, json_codec
from services.domain.chunk_entry import NOTHING, Findings
from services.validator import store_orders

RECORDED = Path(__file__).parents[1] / "data" / "contract-version.json"


def _record(order: dict[str, Any] | None = None, contact: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {
        "order-info": {"order_id": "1", "item-id": "I1", "qty": 1} | (order or {}),
        "contact-info": {"name": "A", "email": "a@example.com"} | (contact or {}),
        **top,
    }


def probes() -> list[tuple[Any, Findings]]:
    """(record, what parsing found of it): the boundaries of every rule, each on an otherwise complete record."""
    found: list[tuple[Any, Findings]] = [(_record(), NOTHING)]
    for value in (None, 7, "text", [1], True):
        found.append((value, NOTHING))
    for alias in compiler_default().key.aliases:
        found.append(
            ({"order-info": {alias: 12, "item-id": "I", "qty": 2}, "contact-info": _record()["contact-info"]}, NOTHING)
        )
    found.append((_record({"orderId": "2"}), NOTHING))  # two aliases: ambiguous
    for order_id in ("", " ", True, 1.5, None, "x" * 2100, "\u200b", "a\u202eb", "a\nb", "a\x00", "cafe\u0301"):
        found.append((_record({"order_id": order_id}), NOTHING))
    for qty in (0, 1, -1, 1.5, "2", " +3 ", "٣", True, None, "1e3", 10**40, "abc"):
        found.append((_record({"qty": qty}), NOTHING))
    for item in ("", "  ", None, 5, ["x"]):
        found.append((_record({"item-id": item}), NOTHING))
    for name in ("", " ", None, 9, " Ann "):
        found.append((_record(contact={"name": name}), NOTHING))
    long_domain = ".".join(["d" * 60] * 4) + ".com"  # 248 bytes
    for email in ("", "a", "a@", "@b.c", "a@b", "a@b.c", " a@b.co ", None, 3, "a b@c.de", "a" * 64 + "@b.co"):
        found.append((_record(contact={"email": email}), NOTHING))
    for email in ("a" * 65 + "@b.co", "a@" + long_domain, "a@dd." + long_domain):
        found.append((_record(contact={"email": email}), NOTHING))
    for section in ("order-info", "contact-info"):
        found.append(({k: v for k, v in _record().items() if k != section}, NOTHING))
        found.append((_record() | {section: "not an object"}, NOTHING))
    found.append((_record(extra={"n": json_codec.loads("1E+200")}), NOTHING))
    found.append((_record(extra="\ud800"), NOTHING))
    found.append((_record(**{"": 1}), NOTHING))
    for name in (*contract.RESERVED_FIELDS, "_other"):
        found.append((_record(**{name: "1"}), NOTHING))
    deep: Any = 1
    for _ in range(40):
        deep = {"d": deep}
    found.append((_record(extra=deep), NOTHING))
    found.append((_record(), Findings(("order-info.qty",))))
    found.append(('{"order-info": oops}', Findings(unreadable="the line is not valid JSON (line 1, column 15)")))
    return found


def digest() -> str:
    verdicts = []
    for record, findings in probes():
        verdict = contract.check(record, duplicate_keys=findings.duplicate_keys, unreadable=findings.unreadable)
        # The rule and field of each reason, not its message: rewording a message changes no rule.
        reasons = [[r.field, str(r.rule)] for r in verdict.reasons]
        verdicts.append([verdict.order_id, verdict.record, reasons])
    # The oversize rule is the validator's (it measures the stored item): its bound is part of the rules too.
    rules = [sorted(str(rule) for rule in contract.Rule), store_orders.MAX_ORDER_BYTES]
    text = json_codec.canonical([rules, verdicts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_version_changes_with_the_rules() -> None:
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    if recorded["version"] == contract.shipped().version:
        assert digest() == recorded["digest"], (
            "the contract's verdicts changed but its version did not: raise BUILT_IN_RULES in "
            "services/domain/contract.py and run `python -m tests.unit.test_contract_version --record`"
        )
    else:
        pytest.fail(
            f"the contract's version changed ({recorded['version']} -> {contract.shipped().version}): "
            "record its digest with "
            "`python -m tests.unit.test_contract_version --record`"
        )


def test_a_changed_rule_changes_the_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest()
    monkeypatch.setattr(compiler, "WHOLE", compiler.re.compile(r"^\s*([0-9]+)\s*$"))  # "+3" no longer whole
    assert not contract.check(_record({"qty": " +3 "})).complete
    assert digest() != before
    monkeypatch.undo()
    monkeypatch.setattr(store_orders, "MAX_ORDER_BYTES", 300_000)
    assert digest() != before


def test_a_reworded_message_keeps_the_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest()
    monkeypatch.setattr(contract, "_DUPLICATE", "reworded")
    assert contract.check(_record(), duplicate_keys=("order-info.qty",)).reasons[0].message == "reworded"
    assert digest() == before


def test_every_rule_a_record_can_break_is_probed() -> None:
    probed = {
        r.rule
        for record, found in probes()
        for r in contract.check(record, duplicate_keys=found.duplicate_keys, unreadable=found.unreadable).reasons
    }
    # the validator decides these, not the contract: conflict (against the stored order), oversize (the stored
    # item's size: its bound is digested) and processing_failed (the validator raised)
    validator = {contract.Rule.CONFLICT, contract.Rule.OVERSIZE, contract.Rule.PROCESSING_FAILED}
    assert probed == set(contract.Rule) - validator


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python -m tests.unit.test_contract_version --record")
    RECORDED.write_text(json.dumps({"version": contract.shipped().version, "digest": digest()}, indent=2) + "\n")
    print(f"recorded contract {contract.shipped().version}: {digest()}")
