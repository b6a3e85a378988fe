"""The contract loop on `salesdq local up`, every step a command in a process of its own as an operator runs it:
a mixed file uploaded under the default contract; `contract diff` and `contract try` of a proposal that relaxes
the email rule and bounds `qty` at 100; `contract publish`; a new upload and a redrive judged by it; `audit
verify` clean. Which records change, and what each run stores, come from the generated input (the oracle of
tests/e2e/test_contract_try.py), never from salesdq's output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from services.contract import DEFAULT_PATH

from .helpers import json_of, salesdq, write_json
from .test_contract_try import PROPOSAL, changes, mixed, outcomes, valid_now, valid_then

pytestmark = [pytest.mark.e2e]


def _stored_events(env: dict[str, str], order_id: str) -> list[dict[str, Any]]:
    return [e for e in json_of(salesdq(env, "history", order_id, "--json")) if e["event"] == "record.stored"]


def test_try_publish_then_an_upload_and_a_redrive_are_judged_by_the_new_contract(
    stack: dict[str, str], tmp_path: Path
) -> None:
    first, kinds = mixed(80, seed=2312, prefix="L")
    assert all(kinds[kind] for kind in kinds)  # every kind of record is in the file
    path = write_json(tmp_path, "mixed.json", {"orders": first})
    file_id = hashlib.sha256(path.read_bytes()).hexdigest()
    uploaded = salesdq(stack, "upload", path, "--wait", "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    [then] = outcomes([first], valid_then)
    assert json_of(uploaded)["totals"]["stored"] == then.count("stored")

    # diff: bounding qty breaks, dropping the email format relaxes; exit 1 since something breaks
    diffed = salesdq(stack, "contract", "diff", DEFAULT_PATH, PROPOSAL, "--json")
    assert diffed.returncode == 1, diffed.stderr
    kinds_by_field = {(c["kind"], c["field"]) for c in json_of(diffed)["changes"]}
    assert ("breaking", "order-info.qty") in kinds_by_field
    assert ("relaxing", "contact-info.email") in kinds_by_field
    assert json_of(diffed)["breaking"] is True

    # try: exactly the records the oracle says would change, each way, with their quarantine ids
    tried = salesdq(stack, "contract", "try", PROPOSAL, "--json")
    assert tried.returncode == 0, tried.stderr
    found = json_of(tried)
    expected = changes([then], outcomes([first], valid_now))
    named = {(0, c["index"], c["was"], c["now"]) for f in found["files"] for c in f["changes"]}
    assert named == expected
    by_way = {
        way: sorted(first[i]["order-info"]["OrderId"] for _, i, w, n in expected if f"{w} -> {n}" == way)
        for way in ("stored -> quarantined", "quarantined -> stored")
    }
    assert by_way["stored -> quarantined"] == sorted(kinds["big_qty"])
    assert by_way["quarantined -> stored"] == sorted(kinds["bad_email"])
    assert {c["quarantine_id"] for f in found["files"] for c in f["changes"]} == {
        f"{file_id}:{i}" for _, i, _, _ in expected
    }
    assert found["total"]["changed"] == len(expected)
    assert found["total"]["score_now"] == round(outcomes([first], valid_now)[0].count("stored") / len(first), 4)
    assert json_of(salesdq(stack, "contract", "history", "--json"))["contracts"][-1]["active"] is True  # still default

    # publish: the next runs judge by it, no redeploy
    published = salesdq(stack, "contract", "publish", PROPOSAL, "--yes", "--json")
    assert published.returncode == 0, published.stderr
    version = json_of(published)["contract"]
    assert json_of(published)["status"] == "published" and version.startswith("2.1.0+")
    history = json_of(salesdq(stack, "contract", "history", "--json"))["contracts"]
    assert [(c["contract"].split("+")[0], c["active"]) for c in history] == [("2.0.0", False), ("2.1.0", True)]

    second, new_kinds = mixed(40, seed=2313, prefix="M")
    later = salesdq(stack, "upload", write_json(tmp_path, "later.json", {"orders": second}), "--wait", "--json")
    assert later.returncode == 0, later.stderr
    [now] = outcomes([second], valid_now)
    assert {k: json_of(later)["totals"][k] for k in ("stored", "quarantined")} == {
        "stored": now.count("stored"),
        "quarantined": now.count("quarantined"),
    }
    assert json_of(later)["files"][0]["contract"] == version
    for order_id in new_kinds["bad_email"]:  # stored now, and its event names the contract that judged it
        assert [e["contract"] for e in _stored_events(stack, order_id)] == [version]

    # a redrive: a record quarantined for its email and its qty under the default contract, its qty corrected
    # and its email left as it was: stored under the published contract (the default would quarantine it again)
    exported = salesdq(stack, "quarantine", "export", "--out", tmp_path / "open.jsonl", "--file", "mixed.json")
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in (tmp_path / "open.jsonl").read_text().splitlines()]
    [line] = [x for x in lines if x["record"]["order-info"]["OrderId"] == kinds["both"][0]]
    line["record"]["order-info"]["qty"] = 50
    assert not valid_then(line["record"]) and valid_now(line["record"])
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps(line) + "\n")
    redriven = salesdq(stack, "redrive", fixed, "--wait", "--json")
    assert redriven.returncode == 0, redriven.stdout + redriven.stderr
    assert json_of(redriven)["contract"] == version and json_of(redriven)["totals"]["stored"] == 1
    assert [e["contract"] for e in _stored_events(stack, kinds["both"][0])] == [version]

    # the log still rebuilds the stores
    verified = salesdq(stack, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json_of(verified)["drift"] is False
