"""Renders the files a single-node KRaft broker needs: server.properties and log4j2.properties."""
from __future__ import annotations

import base64
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"

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

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.broker_port}"

    def properties(self) -> dict[str, str]:
        plain = f"PLAINTEXT://{HOST}:{self.broker_port}"
        controller = f"CONTROLLER://{HOST}:{self.controller_port}"
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": f"{plain},{controller}",
            "advertised.listeners": f"{plain},{controller}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
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
