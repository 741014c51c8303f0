"""compose.yaml: valid YAML, a pinned single-node KRaft Apache Kafka, the hub and the three demo members."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_kafka_is_a_pinned_single_node_kraft_broker(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.1.")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 1
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka


def test_hub_and_members_use_the_kafka_store(services: dict[str, Any]) -> None:
    assert "fleetstage hub --store kafka://kafka:9092" in services["hub"]["command"][-1]
    labels = {name: services[name]["command"][-1] for name in ("member1", "member2", "member3")}
    assert "--cluster member1 --labels environment=canary,order=2" in labels["member1"]
    assert "--cluster member2 --labels environment=staging" in labels["member2"]
    assert "--cluster member3 --labels environment=canary,order=1" in labels["member3"]
    for name in ("hub", "member1", "member2", "member3"):
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_fleetstage_services_are_started_again_when_they_exit(services: dict[str, Any]) -> None:
    """A hub or agent one of whose services stopped exits 1 (hub/supervisor.py): compose starts it again."""
    for name in ("hub", "member1", "member2", "member3"):
        assert services[name]["restart"] == "unless-stopped"
