"""The local broker: single-node config, the pom-keyed jar cache, the class archive, failing starts, the CLI.

Pause, resume and restart (with the data kept) are exercised through the event store, in
tests/eventstore/test_kafka_faults.py, to spend one broker on both.
"""
from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from localkafka import BrokerError, JarsError, LocalKafka, collect_jars
from localkafka.__main__ import main as cli
from localkafka.broker import answers_metadata
from localkafka.cds import class_archive
from localkafka.config import BrokerConfig

FAKE_MVN = """#!/bin/sh
echo run >> "$(dirname "$0")/calls"
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done
touch "$out/kafka_2.13-4.1.1.jar"
"""


def test_config_sets_every_single_node_replication_to_one(tmp_path: Path) -> None:
    props = BrokerConfig(9092, 9093, tmp_path / "data").properties()
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr"):
        assert props[key] == "1", key
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_a_sasl_port_adds_a_scram_listener_and_inter_broker_traffic_stays_plaintext(tmp_path: Path) -> None:
    props = BrokerConfig(9092, 9093, tmp_path / "data", sasl_port=9094).properties()
    assert props["listeners"].endswith(",SASL_PLAINTEXT://127.0.0.1:9094")
    assert props["listener.security.protocol.map"].endswith(",SASL_PLAINTEXT:SASL_PLAINTEXT")
    assert (props["sasl.enabled.mechanisms"], props["inter.broker.listener.name"]) == ("SCRAM-SHA-512", "PLAINTEXT")
    with pytest.raises(BrokerError, match="scram_users="):
        LocalKafka(tmp_path).sasl_bootstrap


@pytest.fixture
def fake_mvn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mvn = bin_dir / "mvn"
    mvn.write_text(FAKE_MVN)
    mvn.chmod(mvn.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("LOCALKAFKA_LIBS", raising=False)
    return bin_dir / "calls"


def test_jars_are_fetched_once_per_pom_content(tmp_path: Path, fake_mvn: Path) -> None:
    pom, libs = tmp_path / "pom.xml", tmp_path / "cache" / "libs"
    pom.write_text("<project>1</project>")
    assert collect_jars(pom, libs) == libs
    collect_jars(pom, libs)
    assert fake_mvn.read_text().count("run") == 1
    pom.write_text("<project>2</project>")
    collect_jars(pom, libs)
    assert fake_mvn.read_text().count("run") == 2
    assert (libs / "kafka_2.13-4.1.1.jar").exists()


def test_missing_maven_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("LOCALKAFKA_LIBS", raising=False)
    pom = tmp_path / "pom.xml"
    pom.write_text("<project/>")
    with pytest.raises(JarsError, match="mvn.*LOCALKAFKA_LIBS"):
        collect_jars(pom, tmp_path / "libs")


@pytest.mark.kafka
def test_cli_start_status_stop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = ["--home", str(tmp_path)]
    assert cli([*home, "status"]) == 3
    capsys.readouterr()
    try:
        assert cli([*home, "start"]) == 0
        bootstrap = capsys.readouterr().out.strip()
        assert bootstrap.startswith("127.0.0.1:")
        assert asyncio.run(answers_metadata(bootstrap))
        assert cli([*home, "status"]) == 0
        assert bootstrap in capsys.readouterr().out
    finally:
        assert cli([*home, "stop"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert cli([*home, "status"]) == 3
    assert not asyncio.run(answers_metadata(bootstrap, timeout=0.5))


@pytest.mark.kafka
def test_a_broker_that_dies_on_start_reports_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = LocalKafka(tmp_path, port=taken.getsockname()[1])
        with pytest.raises(BrokerError, match=r"(?s)exited with code.*Address already in use"):
            broker.start()
    assert not broker.running()


def test_class_archive_is_published_only_after_a_clean_exit(tmp_path: Path) -> None:
    libs = tmp_path / "libs"
    libs.mkdir()
    first = class_archive("/usr/bin/java", libs, create=True)
    assert first.pending is not None and first.options == (f"-XX:ArchiveClassesAtExit={first.pending}",)
    first.pending.write_bytes(b"partial")
    first.publish(clean_exit=False)
    assert not first.pending.exists() and not first.final.exists()

    second = class_archive("/usr/bin/java", libs, create=True)
    assert second.pending is not None
    second.pending.write_bytes(b"archive")
    second.publish(clean_exit=True)

    third = class_archive("/usr/bin/java", libs, create=True)
    assert third.options == (f"-XX:SharedArchiveFile={second.final}",) and third.pending is None
