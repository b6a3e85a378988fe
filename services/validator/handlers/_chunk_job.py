"""The chunk payload both chunk handlers receive from the workflow's inner Map."""

from __future__ import annotations

from typing import Any

from services.shared.events import require
from services.validator.routing import ChunkJob


def chunk_job(event: dict[str, Any]) -> ChunkJob:
    return ChunkJob(
        file_id=require(event, "file_id"),
        file=require(event, "file"),
        at=require(event, "at"),
        execution=require(event, "execution"),
        partition=int(require(event, "partition")),
        chunk=int(require(event, "chunk", "chunk")),
        key=require(event, "chunk", "key"),
    )
