"""salesdq: event-sourced data quality for sales files, on AWS or on the embedded engine."""

__version__ = "0.1.0"
