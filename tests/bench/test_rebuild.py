"""The rebuild benchmark runs end to end on a small embedded log and reports rates, CPU per million events
and the best rate that CPU cost allows on this machine."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import rebuild


def test_a_small_embedded_run_writes_rates_and_cpu_to_its_section(
    bench_doc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rebuild.main(["--events", "2000", "--backends", "embedded", "--workers", "2", "--timeout", "120"])

    out = capsys.readouterr().out
    assert "projection rebuild vs raw read" in out
    text = bench_doc.read_text()
    assert "<!-- bench:rebuild -->" in text and "--events 2000" in text
    [row] = [line for line in text.splitlines() if line.startswith("| embedded |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert int(cells[1].replace(",", "")) >= 2000  # the whole log: events appended in whole copies of a run
    assert cells[6] == "2"  # processes
    raw_cpu, rebuild_cpu = (float(part) for part in cells[9].split(" / "))
    assert 0 < raw_cpu < rebuild_cpu  # a raw SELECT costs less CPU than decoding, folding and committing
    best, ratio = cells[10].split("/s (")
    assert float(best.replace(",", "")) == pytest.approx((os.cpu_count() or 1) * 1e6 / rebuild_cpu, rel=0.01)
    assert ratio.endswith("x)")


def test_best_rebuild_is_every_cpu_busy_at_the_measured_cost() -> None:
    rates = rebuild.Rates("kafka", 1_000_000, raw=150_000.0, read=90_000.0, one_process=33_000.0,
                          rebuild=57_000.0, workers=2, raw_cpu=6.5, rebuild_cpu=32.0)

    assert rates.best_rebuild(2) == pytest.approx(62_500.0)
    assert rates.best_rebuild(4) == pytest.approx(125_000.0)
