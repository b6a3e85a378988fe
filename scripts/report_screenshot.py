"""docs/report-screenshot.png: the HTML report of tests/data/report-sample.json as headless Chromium shows it.

    python -m scripts.report_screenshot [--report REPORT.json] [--out PNG]

Fails (exit 1) if the page logged an error or asked the network for anything but its own file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from salesdq.reports import Report, write_html
from scripts.chromium import Browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "report-sample.json"
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=SAMPLE, help="a report document (JSON)")
    parser.add_argument("--out", type=Path, default=SCREENSHOT, help="the PNG to write")
    args = parser.parse_args(argv)
    report = Report.from_json(args.report.read_text())
    with tempfile.TemporaryDirectory() as tmp, Browser() as browser:
        page = browser.open(write_html(report, Path(tmp) / "report.html"))
        problems = [f"request for {url}" for url in page.visit.foreign_requests] + page.visit.errors
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        args.out.write_bytes(page.screenshot())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
