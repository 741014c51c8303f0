"""The state file `kafka-local` keeps so that `stop` and `status` find the broker `start` launched."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from localkafka.process import command_line, is_alive


@dataclass(frozen=True, slots=True)
class BrokerState:
    """What is known about a detached broker."""

    pid: int
    bootstrap: str
    broker_port: int
    controller_port: int
    workdir: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "BrokerState | None":
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError:
            return None

    def alive(self) -> bool:
        """True when the pid still runs *our* broker (a recycled pid does not count)."""
        return is_alive(self.pid) and "kafka.Kafka" in command_line(self.pid) and self.workdir in command_line(self.pid)
