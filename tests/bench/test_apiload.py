"""The API load benchmark at CI size: a few runs under a light open-loop load, no request fails, every
run succeeds, and only the benchmark's own section of docs/benchmarks.md is rewritten."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import apiload


def test_a_tiny_load_run_has_no_errors_and_every_run_succeeds(
    bench_doc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench_doc.write_text("# Benchmarks\n\n<!-- bench:apiload -->\nold numbers\n<!-- /bench:apiload -->\n\n## Other\n")

    outcome = apiload.main(["--runs", "5", "--rate", "20", "--seconds", "5", "--watches", "3", "--wait", "1m"])

    assert outcome.load.errors == 0, outcome.load.error_messages()
    assert outcome.succeeded == outcome.runs == 5
    assert outcome.run_seconds is not None and outcome.run_seconds < 40
    assert outcome.load.scheduled == 100 and outcome.load.watches.events > 0
    assert "Verdict: PASS" in capsys.readouterr().out
    text = bench_doc.read_text()
    assert "old numbers" not in text and "## Other" in text and text.count("<!-- bench:apiload -->") == 1
    assert "| all get/list | 100 | 0 |" in text and "--runs 5" in text


def test_a_strategy_with_fewer_clusters_per_placement_than_stages_is_refused() -> None:
    with pytest.raises(SystemExit):
        apiload.parse_args(["--clusters-each", "1", "--stages", "2"])
