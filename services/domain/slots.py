"""Slots of the order-id space. A slot is what a write lease covers, and a file's partitions are unions of
slots (partition = slot mod partitions), so two partitions of one file never contend for a lease; only files
running at the same time with orders in the same slots wait for each other."""

from __future__ import annotations

import zlib

SLOTS = 64


def slot_of(order_id: str) -> int:
    return zlib.crc32(order_id.encode("utf-8")) % SLOTS
