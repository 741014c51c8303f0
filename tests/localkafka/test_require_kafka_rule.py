"""The root conftest's rule: when a broker is required, a skipped kafka test fails the session."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
SKIPPING_TESTS = """
import pytest

@pytest.mark.kafka
def test_needs_kafka():
    pytest.skip("no broker here")

def test_other():
    pytest.skip("not kafka")
"""


def _run(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makeini("[pytest]\nmarkers =\n    kafka: needs a real Kafka broker\n")
    pytester.makepyfile(SKIPPING_TESTS)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_skipped_kafka_test_fails_when_required(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETSTAGE_REQUIRE_KAFKA", "1")
    result = _run(pytester)
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*kafka test skipped although a broker is required*no broker here*"])


def test_skipped_kafka_test_stays_skipped_otherwise(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEETSTAGE_REQUIRE_KAFKA", raising=False)
    monkeypatch.delenv("CI", raising=False)
    result = _run(pytester)
    result.assert_outcomes(skipped=2)
