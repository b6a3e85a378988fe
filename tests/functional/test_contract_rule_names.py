"""A user's own rule shows under the user's own name: the rule names a contract gives (its quality rules' ids)
are what the quarantine message, the audit event and the run's failures by rule carry, and the event names the
contract that judged the record."""

from __future__ import annotations

from pathlib import Path

from services.contract import load
from services.contract.published import ref_of
from services.domain.payloads import FileRun
from services.ingest.finalize import finalize
from services.validator.validate_chunk import validate_chunk

from .conftest import Aws
from .test_validate_chunk import order, stage

DEFAULT = Path(__file__).parents[2] / "contracts" / "sales.odcs.yaml"


def test_the_quarantine_queue_the_audit_log_and_the_run_carry_the_contracts_own_rule_names(
    aws: Aws, tmp_path: Path
) -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    renamed = text.replace("- id: positive_whole", "- id: qty_whole_and_small").replace(
        "              minimum: 1\n", "              minimum: 1\n              maximum: 10\n"
    )
    assert renamed.count("qty_whole_and_small") == 1 and "maximum: 10" in renamed
    path = tmp_path / "mine.odcs.yaml"
    path.write_text(renamed, encoding="utf-8")
    mine = load(path)
    kept = aws.stores.contracts.keep(mine.digest, renamed)  # published: the run names it, the chunk loads it

    job = stage(aws, [order("A", qty=11), order("B", qty=0), order("C", qty=10)])
    job = job.model_copy(update={"run": job.run.judged_by(ref_of(mine, kept))})
    validate_chunk(job, aws.stores)
    summary = finalize(FileRun(run=job.run, records=3, chunks=1), aws.stores.audit)

    queued = sorted(aws.messages(), key=lambda m: m["index"])
    assert [[(r["field"], r["rule"]) for r in m["reasons"]] for m in queued] == [
        [("order-info.qty", "qty_whole_and_small")],
        [("order-info.qty", "qty_whole_and_small")],
    ]
    assert "a whole number from 1 to 10" in queued[0]["reasons"][0]["message"]
    events = [e for e in aws.audit() if e["event"].startswith("record.")]
    assert {e["contract"] for e in events} == {mine.version}
    assert sorted(r["rule"] for e in events for r in e["reasons"]) == ["qty_whole_and_small"] * 2
    assert summary["failures_by_rule"] == {"qty_whole_and_small": 2}
