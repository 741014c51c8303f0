"""Renders the files a single-node KRaft broker needs: server.properties and log4j2.properties."""
from __future__ import annotations

import base64
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
SASL_LISTENER = "SASL_PLAINTEXT"
SCRAM_MECHANISM = "SCRAM-SHA-512"

# Internal topics default to 3 replicas and min ISR 2: on one node, groups and transactions would
# never work without these `=1` settings.
SINGLE_NODE = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "false",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.partitions": "1",
    "default.replication.factor": "1",
}

LOG4J2 = """\
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
"""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def new_cluster_id() -> str:
    """A KRaft cluster id: url-safe base64 of a uuid4 without padding, never starting with '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """The ports and directories of one broker."""

    broker_port: int
    controller_port: int
    data_dir: Path
    overrides: tuple[tuple[str, str], ...] = ()
    sasl_port: int | None = None
    """Port of an extra SASL_PLAINTEXT listener (SCRAM-SHA-512 only), or None for PLAINTEXT alone."""

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.broker_port}"

    @property
    def sasl_bootstrap(self) -> str | None:
        return f"{HOST}:{self.sasl_port}" if self.sasl_port is not None else None

    def properties(self) -> dict[str, str]:
        controller = f"CONTROLLER://{HOST}:{self.controller_port}"
        listeners = [f"PLAINTEXT://{HOST}:{self.broker_port}", controller]
        protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        sasl: dict[str, str] = {}
        if self.sasl_port is not None:  # inter-broker traffic stays on PLAINTEXT
            listeners.append(f"{SASL_LISTENER}://{HOST}:{self.sasl_port}")
            protocols += f",{SASL_LISTENER}:SASL_PLAINTEXT"
            sasl = {
                "sasl.enabled.mechanisms": SCRAM_MECHANISM,
                f"listener.name.{SASL_LISTENER.lower()}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config":
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            }
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": ",".join(listeners),
            "advertised.listeners": ",".join(listeners),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": protocols,
            "log.dirs": str(self.data_dir),
            **sasl,
            **SINGLE_NODE,
            **dict(self.overrides),
        }

    def write(self, workdir: Path) -> tuple[Path, Path]:
        """Write server.properties and log4j2.properties into `workdir`; return their paths."""
        server = workdir / "server.properties"
        server.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        log4j = workdir / "log4j2.properties"
        log4j.write_text(LOG4J2)
        return server, log4j
