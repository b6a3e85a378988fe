"""The ingest definition's data flow, evaluated on its own paths: what crosses between states stays small.

moto does not size a Distributed Map's combined result, and it cannot list a map run's child executions,
so this evaluates the ASL's ItemSelector, ResultPath and OutputPath on Prepare's real manifest instead.
"""

from __future__ import annotations

import json
from typing import Any

from salesdq import resources
from services.domain.run import Run
from services.ingest.split import _Chunker

STATE_LIMIT = 256 * 1024
DEFINITION = json.loads(resources.INGEST.definition.read_text(encoding="utf-8"))
PARTITIONS = resources.MAX_PARTITIONS


class _NoStaging:
    def put_text(self, key: str, text: str) -> None:
        pass


def _path(document: Any, path: str) -> Any:
    """A JSONPath of plain fields ("$.a.b"), which is all the definition uses here."""
    for field in path.removeprefix("$").strip(".").split("."):
        if field:
            document = document[field]
    return document


def _select(selector: dict[str, Any], state_input: Any, item: Any) -> dict[str, Any]:
    return {
        key.removesuffix(".$"): (item if path == "$$.Map.Item.Value" else _path(state_input, path))
        if key.endswith(".$")
        else path
        for key, path in selector.items()
    }


def _manifest(chunks_per_partition: int) -> list[dict[str, Any]]:
    chunker = _Chunker(_NoStaging(), "staging/an-execution-name-of-36-chars-xx", PARTITIONS, 1)  # type: ignore[arg-type]
    for index in range(PARTITIONS * chunks_per_partition):
        chunker.add(index, {"order-info": {"OrderId": str(index)}}, index % PARTITIONS)
    return chunker.finish()


def _child_outputs(chunks_per_partition: int) -> list[Any]:
    """What each Distributed Map child hands back to the parent, for a manifest of that many chunks."""
    replayed = Run(
        file_id="f" * 64, file="incoming/" + "n" * 200 + ".json", id="2026-11-21T00:00:00.000Z", execution="e" * 36
    )
    # Prepare's output: the run (a replay's chunks carry the run it replays), beside the run's counts
    parent_input = replayed.model_copy(update={"id": "2026-11-22T00:00:00.000Z", "replay_of": replayed}).to_payload()
    distributed = DEFINITION["States"]["ValidatePartitions"]
    child = distributed["ItemProcessor"]
    last = child["States"][child["StartAt"]]
    assert last.get("End") and last.get("ResultPath", "$") is None, "the child is one Map state that keeps its input"
    outputs = []
    for entry in _manifest(chunks_per_partition):
        child_input = _select(distributed["ItemSelector"], parent_input, entry)
        outputs.append(_path(child_input, last.get("OutputPath", "$")))
    return outputs


def test_a_childs_output_does_not_grow_with_its_partitions_chunks() -> None:
    few, many = _child_outputs(1), _child_outputs(500)
    assert [json.dumps(o) for o in few] == [json.dumps(o) for o in many]


def test_the_distributed_maps_combined_result_stays_far_below_the_state_limit() -> None:
    # 500 chunks a partition is 32M records at the default chunk size.
    combined = len(json.dumps(_child_outputs(500)).encode("utf-8"))
    assert combined < STATE_LIMIT // 100
