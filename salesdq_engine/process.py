"""The process settings a one-process emulator needs, applied while an engine runs and restored after.

On AWS each Lambda has a process of its own; here ~50 worker threads and every table share one interpreter.
"""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL_S = 0.05  # measured: 321 -> 423 records/s on 5,000 records (docs/architecture.md)
GC_THRESHOLDS = (10_000, 10, 10)  # a chunk: 0.99 ms of CPU a record at the defaults, 0.79-0.82 with these


class ProcessSettings:
    """The GIL switch interval and the garbage collector's thresholds, saved on apply and put back on restore."""

    def __init__(self) -> None:
        self._saved: tuple[float, tuple[int, ...]] | None = None
        self._frozen = False

    def apply(self) -> None:
        self._saved = (sys.getswitchinterval(), gc.get_threshold())
        # Long GIL slices spare the worker threads a convoy of switches.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        # Every table lives in this one heap, and a full collection walks all of it: rarer collections keep a
        # Lambda from paying to scan tables its own process on AWS would never hold.
        gc.set_threshold(*GC_THRESHOLDS)

    def freeze(self) -> None:
        """Take every object alive now out of the collector's walks until restore (gc.freeze): for a phase that
        only reads what the stores hold, where each full collection would walk every table for nothing
        (`python -m bench.export_heap --records 20000`: 0.7-1.5 s of each export, 0.01-0.02 s frozen)."""
        gc.freeze()
        self._frozen = True

    def restore(self) -> None:
        if self._frozen:  # back into the oldest generation (all of it: gc has one frozen set per process)
            gc.unfreeze()
            self._frozen = False
        if self._saved is None:
            return
        switch_interval, thresholds = self._saved
        sys.setswitchinterval(switch_interval)
        gc.set_threshold(*thresholds)
        self._saved = None
