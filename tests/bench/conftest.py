"""What the benchmark tests share: a docs/benchmarks.md of their own, so a benchmark run at CI size
rewrites a temporary file, never the project's."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import support


@pytest.fixture
def bench_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary benchmarks doc (a title only) that the benchmarks write their sections to."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n")
    monkeypatch.setattr(support, "DOC", doc)
    return doc
