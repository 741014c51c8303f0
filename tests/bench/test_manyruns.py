"""The many-runs benchmark at CI size on Kafka: two orchestrators in one consumer group split the
placements (each creates some runs), the log holds every command and domain event exactly once, and
the docs section is left alone with --no-doc."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import exactlyonce, manyruns
from bench.world import Shape
from eventstore import Event
from fleetevents.agents import ClusterUpdateRequested
from fleetevents.base import registry
from fleetevents.streams import AGENTS


def test_two_orchestrators_split_the_runs_and_every_command_is_in_the_log_once(
    kafka_bootstrap: str, bench_doc: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)  # the session's broker (own topic prefix)

    # 6 placements: their names hash to partitions 0, 6, 4, 2, 1 and 7, so any split of the 8 gives
    # each of two orchestrators some runs.
    manyruns.main(["--placements", "6", "--clusters-each", "2", "--stages", "2", "--backends", "kafka",
                   "--orchestrators", "2", "--timeout", "60", "--no-doc"])

    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "runs per orchestrator" in line]
    per_orchestrator = [int(n) for n in line.split("runs per orchestrator ")[1].split(",")[0].split(" / ")]
    assert len(per_orchestrator) == 2 and all(per_orchestrator) and sum(per_orchestrator) == 6
    # 12 update commands and 12 successes, 6 x 3 stages started and succeeded, 6 runs created and succeeded
    assert "exactly once: ok: 72 events once" in line
    assert bench_doc.read_text() == "# Benchmarks\n"


def _requested(run: str, cluster: str) -> Event:
    payload = ClusterUpdateRequested(run=run, placement="p", stage="s00", cluster=cluster,
                                     resource_snapshot_index=0, resources=[])
    return Event(registry.type_of(ClusterUpdateRequested), cluster, payload, AGENTS)


def test_a_command_appended_twice_fails_the_check_and_is_named() -> None:
    shape = Shape(placements=1, clusters_each=2, stages=1)
    commands = [_requested("r", "c1"), _requested("r", "c2"), _requested("r", "c2")]

    verdict = exactlyonce.check(shape, [], commands)

    assert not verdict.ok and verdict.summary() == "FAILED"
    assert ("cluster.updaterequested per (run, stage, cluster): 3 event(s) for 2 key(s), 2 expected; "
            "duplicated: ('r', 's00', 'c2') x2") in verdict.problems()


def test_more_orchestrators_than_placements_partitions_are_refused() -> None:
    with pytest.raises(SystemExit):
        manyruns.parse_args(["--backends", "kafka", "--orchestrators", "1,9"])
    with pytest.raises(SystemExit):
        manyruns.parse_args(["--orchestrators", "2", "--trace-memory", "traces"])
    assert manyruns.parse_args(["--orchestrators", "1,2,1"]).orchestrators == [1, 2, 1]
