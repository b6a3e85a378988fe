"""Benchmarks: salesdq on the embedded engine against the brief's design on the same engine."""
