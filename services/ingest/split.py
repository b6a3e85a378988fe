"""A file split into chunks: records partitioned by a stable hash of their order id, staged in S3 in file
order, a chunk at a time per partition.

Every record of one order lands in one partition, whose chunks run in file order: "first in file order wins"
holds however many partitions run at once. Memory holds at most one chunk per partition, whatever the size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.dal.inbox_bucket import InboxBucket
from services.domain import chunk_entry, json_codec
from services.domain.chunk_entry import NOTHING, Findings
from services.domain.slots import slot_of
from services.ingest.read_file import FileRejectedError, SalesFile, check_depth, too_deep

if TYPE_CHECKING:
    from services.contract import CompiledContract

BYTES_PER_RECORD_ESTIMATE = 200


@dataclass(frozen=True)
class Layout:
    """How a run splits its file: chunk markers are keyed by partition and chunk, so a retried run must
    split the file exactly as the run it continues did."""

    partitions: int
    chunk_records: int

    def fields(self) -> dict[str, int]:
        return {"partitions": self.partitions, "chunk_records": self.chunk_records}

    @classmethod
    def of(cls, claim: dict[str, Any], default: Layout) -> Layout:
        if "partitions" not in claim or "chunk_records" not in claim:  # a claim from before layouts were kept
            return default
        return cls(int(claim["partitions"]), int(claim["chunk_records"]))


def partitions_for(size: int, chunk_records: int, max_partitions: int) -> int:
    estimate = size / BYTES_PER_RECORD_ESTIMATE
    return max(1, min(max_partitions, math.ceil(estimate / chunk_records)))


def partition_of(order_id: str | None, index: int, partitions: int) -> int:
    if order_id is None:  # nothing to keep together: spread by position
        return index % partitions
    return slot_of(order_id) % partitions


def split(
    sales: SalesFile, inbox: InboxBucket, prefix: str, layout: Layout, judge: CompiledContract
) -> tuple[list[dict[str, Any]], int]:
    """Stream the file into chunks under prefix, partitioned by the order ids the run's contract reads:
    (manifest, records), or FileRejectedError."""
    chunker = _Chunker(inbox, prefix, layout.partitions, layout.chunk_records)
    for index, (record, findings) in enumerate(sales.entries()):
        order_id, _ = judge.extract_order_id(record)
        chunker.add(index, record, partition_of(order_id, index, layout.partitions), findings)
    manifest = chunker.finish()
    if chunker.records == 0:
        raise FileRejectedError("the file holds no records")
    return manifest, chunker.records


class _Chunker:
    def __init__(self, inbox: InboxBucket, prefix: str, partitions: int, chunk_records: int) -> None:
        self._inbox = inbox
        self._prefix = prefix
        self._chunk_records = chunk_records
        # Records wait as JSON text: measured 204 KB per 1,000 records against 796 KB as Python objects.
        self._buffers: list[list[str]] = [[] for _ in range(partitions)]
        self.manifest: list[dict[str, Any]] = [{"partition": p, "chunks": []} for p in range(partitions)]
        self.records = 0

    def add(self, index: int, record: Any, partition: int, findings: Findings = NOTHING) -> None:
        buffer = self._buffers[partition]
        entry = chunk_entry.staged(index, record, findings)
        try:
            text = json_codec.dumps(entry)
        except RecursionError:  # nested too deep for JSON's encoder: past MAX_DEPTH, which check_depth states
            raise too_deep(index) from None
        check_depth(index, record, text)
        buffer.append(text)
        self.records += 1
        if len(buffer) >= self._chunk_records:
            self._flush(partition)

    def _flush(self, partition: int) -> None:
        buffer = self._buffers[partition]
        if not buffer:
            return
        chunks = self.manifest[partition]["chunks"]
        number = len(chunks)
        key = f"{self._prefix}/p{partition:05d}/c{number:07d}.json"
        self._inbox.put_text(key, '{"records":[' + ",".join(buffer) + "]}")
        chunks.append({"key": key, "chunk": number, "records": len(buffer)})
        self._buffers[partition] = []

    def finish(self) -> list[dict[str, Any]]:
        for partition in range(len(self._buffers)):
            self._flush(partition)
        return [entry for entry in self.manifest if entry["chunks"]]
