"""The benchmark tools run: a bench that rots gives no numbers when a change needs measuring."""

from __future__ import annotations

import json

from bench import chunk_cpu


def test_chunk_cpu_routes_every_record_of_its_chunks_and_reports_their_cpu(capsys):
    assert chunk_cpu.main(["--chunks", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert sum(result["outcomes"].values()) == 2 * result["records_per_chunk"]
    assert 0 < result["outcomes"]["quarantined"] < result["outcomes"]["stored"]  # the bench file is 10% incomplete
    assert len(result["cpu_ms_per_record_by_chunk"]) == 2 and result["cpu_ms_per_record"] > 0
