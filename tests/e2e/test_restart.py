"""The hub process stopped (SIGTERM) and started again in the middle of a run changes nothing a user sees:
the how-to plays out exactly as without the restart, its times never go back, and each member applies
each run exactly once.

Two moments: (a) while the canary approval request waits for a person, (b) inside the staging stage's
TimedWait, which still ends on time (its deadline comes from the log, not from a timer of the stopped
process, and the hub's clock runs on while it is down)."""
import time
from typing import Any

import pytest

from demo.fleet import LocalFleet
from demo.howto import Checkpoint, HowTo
from demo.manifests import MEMBERS
from demo.narrator import Narrator
from tests.e2e.support import (
    BACKENDS, SCENARIO_TIMEOUT, conditions, finished_at, ledger,
    stage, store_url, times_out_of_order,
)

RUNS = ["example-run", "example-run-2"]  # the how-to's rollout and rollback
SLOW_SCALE = 6.0  # the how-to's 1m TimedWait then lasts 10 s: long enough to restart the hub inside it
WAIT_SECONDS = 60 / SLOW_SCALE
SLACK_SECONDS = 6.0  # polling and read-model lag on a busy machine


def restart_hub(howto: HowTo, when: str) -> float:
    """Stop the hub with SIGTERM and start it again; how many seconds that took."""
    fleet = howto.fleet
    howto.narrator.say(f"Restart the hub {when}.")
    started = time.monotonic()
    assert fleet.stop_hub() == 0, f"the hub did not stop cleanly on SIGTERM:\n{fleet.log_tail('hub')}"
    fleet.start_hub()
    return time.monotonic() - started


def staging_wait(run_doc: dict[str, Any] | None) -> str | None:
    """Where the staging stage's TimedWait is: "waiting", "elapsed", or None before it starts."""
    staging = stage(run_doc or {}, "staging")
    tasks = staging.get("afterStageTaskStatus") or []
    if any(conditions(task).get("WaitTimeElapsed", ("",))[0] == "True" for task in tasks):
        return "elapsed"
    if conditions(staging).get("Progressing", ("", ""))[:2] == ("False", "StageUpdatingWaiting"):
        return "waiting"
    return None


def restart_while_approval_pending(howto: HowTo, run: str) -> None:
    restart_hub(howto, f"while {run}-canary waits for approval")
    approval = howto.approval_doc(f"{run}-canary")
    assert "Approved" not in conditions(approval), f"approved before anyone approved it: {approval}"


def restart_inside_staging_wait(howto: HowTo, run: str) -> None:
    howto.wait(f"{run}'s staging stage waits", lambda: staging_wait(howto.run_doc(run)) is not None)
    assert staging_wait(howto.run_doc(run)) == "waiting", f"{run}'s TimedWait elapsed before the hub could restart"
    seen_waiting = time.monotonic()
    restart_took = restart_hub(howto, f"inside {run}'s staging TimedWait")
    howto.wait(f"{run}'s TimedWait elapses", lambda: staging_wait(howto.run_doc(run)) == "elapsed")
    lasted = time.monotonic() - seen_waiting
    assert lasted <= max(WAIT_SECONDS, restart_took) + SLACK_SECONDS, (
        f"the 1m TimedWait ({WAIT_SECONDS:g}s at time scale {SLOW_SCALE:g}) lasted {lasted:.1f}s "
        f"across a {restart_took:.1f}s hub restart")


def play_with_restarts(fleet: LocalFleet, checkpoint: str, restart: Checkpoint) -> None:
    """The whole how-to with `restart` at `checkpoint` of each run, then what a restart must not change."""
    howto = HowTo(fleet, Narrator(plain=True), wait_timeout=60, checkpoints={checkpoint: restart})
    howto.play()
    docs = [howto.run_doc(run) for run in RUNS]
    for doc in docs:
        wrong = times_out_of_order(doc)
        assert not wrong, f"{doc['metadata']['name']}: times go back: " + "; ".join(wrong[:3])
    assert docs[1]["metadata"]["creationTimestamp"] >= finished_at(docs[0]), \
        "example-run-2 is stamped as created before example-run finished"
    for member in MEMBERS:
        entries = [(e["run"], e["succeeded"], e["attempts"]) for e in ledger(fleet, member.name)]
        assert entries == [(run, True, 1) for run in RUNS], f"{member.name} applied: {entries}"


@pytest.mark.timeout(SCENARIO_TIMEOUT)
@pytest.mark.parametrize("backend", BACKENDS)
def test_hub_restart_while_the_approval_is_pending(backend, tmp_path, request):
    with LocalFleet(tmp_path, store_url(backend, tmp_path, request), MEMBERS, time_scale=60) as fleet:
        play_with_restarts(fleet, "approval-requested", restart_while_approval_pending)


@pytest.mark.timeout(SCENARIO_TIMEOUT)
@pytest.mark.parametrize("backend", BACKENDS)
def test_hub_restart_inside_the_staging_wait(backend, tmp_path, request):
    with LocalFleet(tmp_path, store_url(backend, tmp_path, request), MEMBERS, time_scale=SLOW_SCALE) as fleet:
        play_with_restarts(fleet, "initialized", restart_inside_staging_wait)
