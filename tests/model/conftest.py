"""The model tier's failures are read by people: the engine's own logs (moto's dumps of the state machine,
the handlers' lines) are left out of what pytest shows of a failing sequence."""

from __future__ import annotations

import logging

for name in ("moto", "ingest", "validator", "redrive", "botocore", "werkzeug"):
    logging.getLogger(name).setLevel(logging.CRITICAL)
