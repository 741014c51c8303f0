"""The rollout benchmark at CI size on the embedded store: the run finishes, the table and the docs
section name the stages asked for (not a fixed 10), and every cluster update is counted."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import rollout


def test_a_small_rollout_reports_its_own_stage_count_in_the_table_and_the_doc(
    bench_doc: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    rollout.main(["--clusters", "12", "--stages", "3", "--backends", "embedded", "--timeout", "60"])

    out = capsys.readouterr().out
    assert "rollout throughput (3 stages, maxConcurrency 100%)" in out
    section = bench_doc.read_text()
    assert "over N member clusters in 3 stages (N/3 clusters each" in section
    [row] = [line for line in section.splitlines() if line.startswith("| embedded | 12 |")]
    seconds, updates_per_second = (float(cell.replace(",", "")) for cell in row.split("|")[3:5])
    # 12 updates over the run's time, which the table rounds to 10 ms
    assert seconds > 0 and 12 / (seconds + 0.005) <= updates_per_second + 0.5
    assert seconds < 0.005 or updates_per_second - 0.5 <= 12 / (seconds - 0.005)
