"""Running salesdq on the embedded engine, in this process: `salesdq local run` (run.py)."""
