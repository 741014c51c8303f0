"""`spec.state: Stop`: start nothing new, let in-flight clusters finish, then report the run stopped.

While clusters are still updating the run is `UpdateRunStopping` (stage `StageUpdatingStopping`); once
none is in flight it is `UpdateRunStopped` (`StageUpdatingStopped`). A cluster failing meanwhile still
fails the run. `Run` resumes where it stopped (`orchestrator.execution` emits `RunProgressing` first).
"""
from __future__ import annotations

from fleetevents.base import Payload
from fleetevents.runs import RunStopped, RunStopping
from orchestrator.execution import failure
from orchestrator.state import PlacementState, RunState


def step(state: PlacementState, run: RunState) -> list[Payload]:
    """The next events of an executing run in state Stop."""
    stage = run.current_stage()
    if stage is None:
        return []
    if (failed := failure(state, run, stage)):
        return failed
    if stage.clusters.in_flight:
        return [] if run.progress == "stopping" else [RunStopping(run=run.name, stage=stage.name)]
    return [] if run.progress == "stopped" else [RunStopped(run=run.name, stage=stage.name)]
