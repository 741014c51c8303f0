"""The event-log benchmark runs end to end on a tiny log and refreshes only its own docs section."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import eventlog


def test_a_tiny_sqlite_run_prints_the_table_and_rewrites_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{eventlog.BEGIN}\nold numbers\n{eventlog.END}\n\n## Other section\n")
    monkeypatch.setattr(eventlog, "DOC", doc)

    eventlog.main(["--events", "300", "--batch", "100", "--repeat", "1", "--backends", "sqlite"])

    out = capsys.readouterr().out
    assert "replay" in out and "append" in out
    text = doc.read_text()
    assert "old numbers" not in text and "intro" in text and "## Other section" in text
    assert text.count(eventlog.BEGIN) == 1
    assert "| sqlite | replay |" in text and "--events 300" in text


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(SystemExit):
        eventlog.parse_args(["--backends", "sqlite,postgres"])
