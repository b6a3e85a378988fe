"""Data-quality reports: the report document (model.py) and its renderers, one module per output.

    from salesdq.reports import Report, render_terminal, write_csv, write_html

`render_terminal` prints rich tables (plain text when not a terminal), `write_csv` writes files.csv,
failures.csv and days.csv to a directory, `write_html` one self-contained page (no network, no script).
"""

from salesdq.reports.csv_files import write_csv
from salesdq.reports.html_page import render_html, write_html
from salesdq.reports.model import Report, ReportFormatError
from salesdq.reports.terminal import render_terminal, render_text

__all__ = ["Report", "ReportFormatError", "render_html", "render_terminal", "render_text", "write_csv", "write_html"]
