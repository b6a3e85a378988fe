"""Redrive batches in the inbox: a request's plan (`redrive/plans/<request id>.json`: the corrections it
accepted), its corrected records (`redrive/<request id>.jsonl`) and, beside them, where every line came from
(`.meta.json`: index -> the record's quarantine_message.Origin; written once, it fixes which records the batch
holds)."""

from __future__ import annotations

import hashlib

REDRIVE_PREFIX = "redrive/"


def batch_key(request_id: str) -> str:
    return f"{REDRIVE_PREFIX}{request_id}.jsonl"


def plan_key(request_id: str) -> str:
    return f"{REDRIVE_PREFIX}plans/{request_id}.json"


def meta_key(batch_key: str) -> str:
    return batch_key.removesuffix(".jsonl") + ".meta.json"


def is_redrive(key: str) -> bool:
    return key.startswith(REDRIVE_PREFIX)


def request_of(key: str) -> str | None:
    """The request whose batch `key` is (batch_key's inverse); None for a key that is no redrive batch."""
    if not is_redrive(key) or not key.endswith(".jsonl"):
        return None
    return key.removeprefix(REDRIVE_PREFIX).removesuffix(".jsonl")


# How the command line names a batch's run: a redrive batch, not a file, though its Run.file is its key.
NAMED = "redrive batch "


def named(key: str) -> str | None:
    """The name the command line shows for the run of batch `key`; None for a key that is no redrive batch."""
    request = request_of(key)
    return None if request is None else f"{NAMED}{request}"


def key_named(name: str) -> str | None:
    """The batch key the shown name `named` gave means; None for any other name."""
    return batch_key(name.removeprefix(NAMED).strip()) if name.startswith(NAMED) else None


def file_id(key: str, fingerprint: str) -> str:
    """A run's file id: an upload's is its bytes' sha256 (the same bytes again are a duplicate). A redrive batch
    is its request's, so its id also holds its key: two requests whose corrections happen to be the same bytes
    are two runs, and neither is swallowed as a duplicate of the other."""
    if not is_redrive(key):
        return fingerprint
    return hashlib.sha256(f"{key}\n{fingerprint}".encode()).hexdigest()
