"""Redrive batches in the inbox: corrected records (`redrive/<digest>.jsonl`) and, beside each, where every
line came from (`.meta.json`: index -> the record's dlq_message.Origin)."""

from __future__ import annotations

REDRIVE_PREFIX = "redrive/"


def meta_key(batch_key: str) -> str:
    return batch_key.removesuffix(".jsonl") + ".meta.json"


def is_redrive(key: str) -> bool:
    return key.startswith(REDRIVE_PREFIX)
