"""A record travels inline up to 200 KB and by an S3 reference beyond, in the quarantine queue and the audit log
alike: an SQS message holds 256 KiB and a DynamoDB item 400 KB, both with room left for the rest of the document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.domain import json_codec

MAX_INLINE_BYTES = 200_000


@dataclass(frozen=True)
class Offload:
    """A value too large to travel inline: write it to `key` in the inbox bucket first; the key is never
    rewritten with other content, so a reference to it stays true."""

    key: str
    value: Any


def inline_or_ref(name: str, value: Any, *, key: str, bucket: str) -> tuple[dict[str, Any], Offload | None]:
    """`{name: value}`, or `{name + "_ref": {"bucket", "key"}}` and the object to write for a large value."""
    if len(json_codec.dumps(value, ascii=True)) <= MAX_INLINE_BYTES:
        return {name: value}, None
    return {f"{name}_ref": {"bucket": bucket, "key": key}}, Offload(key, value)
