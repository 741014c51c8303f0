"""The hub the corpus runs against: a real `fleetstage hub` process on an embedded store, its member
agents, the CLI pointed at it and a reader of its event log."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from demo.fleet import LocalFleet, Member
from tests.corpus.cases import World
from tests.corpus.checks import succeed
from tests.corpus.eventlog import EventLog
from tests.corpus.runner import Cli, InProcessCli, SubprocessCli

SUBPROCESS_ENV = "FLEETSTAGE_CORPUS_SUBPROCESS"
TIME_SCALE = 60.0


@dataclass
class CorpusHub:
    fleet: LocalFleet
    cli: Cli
    subprocess_cli: SubprocessCli
    log: EventLog


@contextmanager
def corpus_hub(workdir: Path, world: World) -> Iterator[CorpusHub]:
    """A hub with the world's members and objects in place (every world step succeeded)."""
    url = f"sqlite://{workdir.resolve()}/events.db"
    members = [Member(m.name, m.labels) for m in world.members]
    with LocalFleet(workdir, url, members, time_scale=TIME_SCALE) as fleet, EventLog(url) as log:
        slow = SubprocessCli(fleet.server)
        cli: Cli = slow if os.environ.get(SUBPROCESS_ENV) == "1" else InProcessCli(fleet.server)
        for step in world.steps:
            succeed(cli, step)
        yield CorpusHub(fleet, cli, slow, log)
