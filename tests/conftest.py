"""Root test configuration: the Kafka broker of the test session and the never-skip-Kafka-in-CI rule.

`kafka_bootstrap` gives "host:port" of a real broker, from the first of: $KAFKA_BOOTSTRAP_SERVERS;
a testcontainers KafkaContainer when a Docker daemon answers; a LocalKafka (localkafka package, jars
from Maven Central) started once per session. Tests that need it are marked `@pytest.mark.kafka`.
With $CI set or FLEETSTAGE_REQUIRE_KAFKA=1 a kafka test that would be skipped fails instead.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from localkafka import BrokerError, JarsError, LocalKafka

CONTAINER_IMAGE = "confluentinc/cp-kafka:7.9.0"  # testcontainers' KafkaContainer only drives Confluent images
HOW_TO_GET_A_BROKER = (
    "set KAFKA_BOOTSTRAP_SERVERS=host:port, run a Docker daemon, or install a JDK 17+ and Maven "
    "(the session then starts a local broker itself; try `scripts/kafka-local start`)"
)


def kafka_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("FLEETSTAGE_REQUIRE_KAFKA") == "1"


def _unavailable(reason: str) -> None:
    if kafka_required():
        pytest.fail(f"{reason} (a broker is required: CI or FLEETSTAGE_REQUIRE_KAFKA=1 is set)", pytrace=False)
    pytest.skip(f"{reason}; to run kafka tests, {HOW_TO_GET_A_BROKER}")


def _docker_answers() -> bool:
    """True when a Docker daemon answers a ping (the client alone is installed everywhere)."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=3)
    except DockerException:
        return False
    try:
        return bool(client.ping())
    except (DockerException, OSError):
        return False
    finally:
        client.close()


def _local_broker(workdir: Path) -> LocalKafka:
    broker = LocalKafka(workdir)
    try:
        broker.start()
    except (BrokerError, JarsError) as exc:
        _unavailable(f"could not start a local Kafka broker: {exc}")
    return broker


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of the session's Kafka broker (started on first use, stopped at the end)."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    if _docker_answers():
        from testcontainers.community.kafka import KafkaContainer

        container = (
            KafkaContainer(CONTAINER_IMAGE)
            .with_kraft()
            .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        )
        with container as kafka:
            yield kafka.get_bootstrap_server()
        return
    broker = _local_broker(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker of this test alone, for fault injection (pause/resume/restart); ~3 s to start."""
    broker = _local_broker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a broker is required, a skipped kafka test is reported as failed."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker("kafka") and kafka_required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"kafka test skipped although a broker is required (CI or FLEETSTAGE_REQUIRE_KAFKA=1): {reason}"
