"""The active contract's keys and pointer (services/domain/active_contract.py), and how `contract show` names a
contract ever active (salesdq/operators/publish.py)."""

from __future__ import annotations

import pytest

from salesdq.errors import NotFoundError, UsageError
from salesdq.operators import publish
from salesdq.operators.fold import fold
from services.contract import default
from services.contract.published import ref_of
from services.domain import audit_events
from services.domain.active_contract import ACTIVE_KEY, ContractRef, Pointer, version_key
from services.domain.parsing import InvalidPayloadError
from services.domain.run import Run


def test_a_document_is_kept_under_its_digest_and_only_a_digest_names_a_key() -> None:
    digest = "ab" * 32
    assert version_key(digest) == f"contracts/versions/{digest}.odcs.yaml"
    assert ACTIVE_KEY == "contracts/active.json" and not version_key(digest).startswith("incoming/")
    for bad in ("", "ab" * 31, "AB" * 32, "../" + "a" * 61, "a" * 63 + "/"):
        with pytest.raises(ValueError, match="not a contract digest"):
            version_key(bad)


def test_the_pointer_names_the_ref_a_run_carries() -> None:
    pointer = Pointer(
        version="2.1.0+abababababab", digest="ab" * 32, key=version_key("ab" * 32), published_at="t", by="me"
    )
    assert pointer.ref == ContractRef(version="2.1.0+abababababab", digest="ab" * 32, key=version_key("ab" * 32))
    assert Pointer.from_json(pointer.model_dump()) == pointer
    with pytest.raises(InvalidPayloadError, match="payload has no digest"):
        Pointer.from_json({"version": "v", "key": "k", "published_at": "t", "by": "me"})
    shipped = ref_of(default())
    assert shipped.key is None and shipped.version == default().version  # the default needs no document
    run = Run(file="f", id="2024-01-01T00:00:00.000Z", execution="e").judged_by(pointer.ref)
    assert Run.from_payload(run.to_payload()).contract == pointer.ref


def _entry(contract: str, digest: str) -> dict[str, object]:
    return {"contract": contract, "digest": digest, "key": None, "published_at": None, "by": "x", "active": False}


HISTORY = [
    _entry("2.0.0+" + "1" * 12, "1" * 64),
    _entry("2.1.0+" + "2" * 12, "2" * 64),
    _entry("2.1.0+" + "3" * 12, "3" * 64),  # the same ODCS version, other rules
    _entry("2.0.0+" + "1" * 12, "1" * 64),  # the first published again
]


def test_show_names_a_contract_by_its_name_its_digest_or_an_unambiguous_version() -> None:
    assert publish._named(HISTORY, "2.1.0+" + "2" * 12) is HISTORY[1]
    assert publish._named(HISTORY, "3" * 8) is HISTORY[2]
    assert publish._named(HISTORY, "2.0.0") is HISTORY[3]  # one contract, published twice: its latest entry
    with pytest.raises(UsageError, match="more than one contract"):
        publish._named(HISTORY, "2.1.0")
    with pytest.raises(NotFoundError, match="was ever active"):
        publish._named(HISTORY, "3" * 7)  # too short a prefix to name one
    with pytest.raises(NotFoundError):
        publish._named(HISTORY, "9.9.9")


def test_a_published_event_is_no_runs_event_and_folds_to_nothing() -> None:
    """`audit verify`, `runs` and reports fold the log: a contract.published event is none of a run's (no `day`,
    no file or order key), so it adds no order, no quarantine item and no run to what they count."""
    ref = ref_of(default()).model_dump()
    event = audit_events.contract_published(
        version="2.1.0+" + "2" * 12, digest="2" * 64, key=version_key("2" * 64), at="t", by="me", previous=ref,
        changes=[{"kind": "relaxing", "field": "contact-info.email", "change": "format email -> (none)"}],
    )  # fmt: skip
    assert (event["pk"], event["sk"], event["event"]) == ("CONTRACT", "PUBLISHED#t", "contract.published")
    assert "day" not in event and "file_id" not in event and "order_id" not in event
    folded = fold([event])
    assert (folded.orders, folded.quarantine(), folded.runs()) == ({}, {}, [])
