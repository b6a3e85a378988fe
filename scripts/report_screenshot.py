"""docs/report-screenshot.png: the HTML report of a real run, as headless Chromium shows it.

    python -m scripts.report_screenshot [--report REPORT.json] [--out PNG] [--json-out REPORT.json]

Without --report, a real run on the embedded engine: the brief's sample, mock-data.json, a file cut short
(rejected), a second upload of the sample (a duplicate), then a redrive of mock-data's records whose only fault
was their qty, fixed; the picture is of `salesdq report`'s page for that history. With --report, the page of a
report document (`salesdq report --json`, or tests/data/report-sample.json). Fails (exit 1) if the page logged
an error or asked the network for anything but its own file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from salesdq.reports import Report, write_html
from scripts.chromium import Browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"
FILES = (ROOT / "tests" / "data" / "brief-sample.json", ROOT / "mock-data.json")


def real_report(directory: Path) -> Report:
    """The report of a real run (see the module's doc)."""
    from salesdq.local.run import stack_of
    from salesdq.operators import quarantine, redrive
    from salesdq.operators.follow import upload_and_follow
    from salesdq.operators.progress import Progress
    from salesdq.operators.report import ReportRequest, build_report
    from salesdq_engine import Engine

    cut = directory / "sales-cut-short.json"
    cut.write_text('{"orders": [{"order-info": ', encoding="utf-8")
    again = directory / "brief-sample-again.json"
    again.write_bytes(FILES[0].read_bytes())
    with Engine() as engine:
        stack = stack_of(engine)
        for path in (*FILES, cut, again):
            upload_and_follow(stack, path, Progress())
        lines = quarantine.export_lines(
            stack, quarantine.Filters(file="incoming/mock-data.json", field="order-info.qty")
        )
        fixes = []
        for line in lines:
            if {r["field"] for r in line["reasons"]} == {"order-info.qty"}:
                line["record"]["order-info"]["qty"] = "1"
                fixes.append(line)
        sent = redrive.send_corrections(stack, fixes, request="screenshot")
        redrive.wait_for_batches(stack, sent, Progress())
        return build_report(stack, ReportRequest())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="a report document (JSON); default: a real run's report")
    parser.add_argument("--out", type=Path, default=SCREENSHOT, help="the PNG to write")
    parser.add_argument("--json-out", type=Path, help="also write the report document here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = Report.from_json(args.report.read_text()) if args.report else real_report(Path(tmp))
        if args.json_out:
            args.json_out.write_text(report.to_json() + "\n", encoding="utf-8")
        with Browser() as browser:
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
