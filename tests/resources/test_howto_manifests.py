"""The how-to's manifests parse into the right models and dump back to the very same documents."""

from __future__ import annotations

import pytest
import yaml

from demo import manifests
from resources import (
    ClusterResourcePlacement,
    ClusterStagedUpdateRun,
    ClusterStagedUpdateStrategy,
    parse_manifests,
)
from tests.howto_expected import first_run_while_canary_updates, with_times

RUN_WITH_STATUS = yaml.safe_dump(with_times(first_run_while_canary_updates(), "2025-01-01T00:00:00Z"), sort_keys=False)
"""The how-to's first run with its status while canary updates (times filled in)."""


@pytest.mark.parametrize(
    ("text", "model", "name"),
    [
        (manifests.PLACEMENT, ClusterResourcePlacement, "example-placement"),
        (manifests.STRATEGY, ClusterStagedUpdateStrategy, "example-strategy"),
        (manifests.FIRST_RUN, ClusterStagedUpdateRun, "example-run"),
        (manifests.ROLLBACK_RUN, ClusterStagedUpdateRun, "example-run-2"),
        (RUN_WITH_STATUS, ClusterStagedUpdateRun, "example-run"),
    ],
)
def test_howto_manifest_round_trips(text: str, model: type, name: str) -> None:
    [obj] = parse_manifests(text)
    assert isinstance(obj, model)
    assert obj.name == name
    assert obj.model_dump(by_alias=True, exclude_none=True, mode="json") == yaml.safe_load(text)
    assert obj.to_dict() == yaml.safe_load(text)


def test_all_how_to_manifests_in_one_stream() -> None:
    text = "\n---\n".join([manifests.PLACEMENT, manifests.STRATEGY, manifests.FIRST_RUN, "", manifests.ROLLBACK_RUN])
    kinds = [(o.kind, o.name) for o in parse_manifests(text)]
    assert kinds == [
        ("ClusterResourcePlacement", "example-placement"),
        ("ClusterStagedUpdateStrategy", "example-strategy"),
        ("ClusterStagedUpdateRun", "example-run"),
        ("ClusterStagedUpdateRun", "example-run-2"),
    ]


def test_placement_reads_as_the_how_to_means() -> None:
    [crp] = parse_manifests(manifests.PLACEMENT)
    assert isinstance(crp, ClusterResourcePlacement)
    assert crp.spec.strategy_type == "External"
    assert crp.spec.effective_policy.type == "PickAll"
    assert crp.spec.history_limit == 10
    [selector] = crp.spec.resource_selectors
    assert (selector.group, selector.version, selector.kind, selector.name) == ("", "v1", "Namespace", "test-namespace")


def test_strategy_reads_as_the_how_to_means() -> None:
    [strategy] = parse_manifests(manifests.STRATEGY)
    assert isinstance(strategy, ClusterStagedUpdateStrategy)
    staging, canary = strategy.spec.stages
    assert staging.selects({"environment": "staging"}) and not staging.selects({"environment": "canary", "order": "1"})
    assert staging.after_stage_tasks is not None and staging.after_stage_tasks[0].wait is not None
    assert staging.after_stage_tasks[0].wait.total_seconds() == 60
    assert canary.sorting_label_key == "order" and canary.has_task("Approval") and not canary.has_task("TimedWait")
    assert canary.concurrency_for(2) == 1


def test_strategy_snapshot_prints_wait_time_as_go_does() -> None:
    [strategy] = parse_manifests(manifests.STRATEGY)
    [run] = parse_manifests(RUN_WITH_STATUS)
    assert isinstance(strategy, ClusterStagedUpdateStrategy) and isinstance(run, ClusterStagedUpdateRun)
    assert run.status is not None and run.status.staged_update_strategy_snapshot is not None
    assert strategy.spec.canonical() == run.status.staged_update_strategy_snapshot
    # the original is untouched
    assert strategy.to_dict() == yaml.safe_load(manifests.STRATEGY)


def test_run_without_state_runs_at_once() -> None:
    [run] = parse_manifests(manifests.FIRST_RUN)
    assert isinstance(run, ClusterStagedUpdateRun)
    assert run.spec.state is None and run.spec.effective_state == "Run"
    assert run.spec.snapshot_index == 1


def test_run_status_conditions_are_reachable() -> None:
    [run] = parse_manifests(RUN_WITH_STATUS)
    assert isinstance(run, ClusterStagedUpdateRun) and run.status is not None
    initialized = run.status.condition("Initialized")
    assert initialized is not None and initialized.reason == "UpdateRunInitializedSuccessfully"
    assert run.status.deletion_stage_status is not None
    assert run.status.deletion_stage_status.to_dict() == {
        "clusters": [],
        "stageName": "kubernetes-fleet.io/deleteStage",
    }


def test_models_are_constructible_in_python_with_snake_case() -> None:
    run = ClusterStagedUpdateRun.model_validate(
        {"metadata": {"name": "r"}, "spec": {"placement_name": "p", "staged_rollout_strategy_name": "s"}}
    )
    assert run.to_dict() == {
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterStagedUpdateRun",
        "metadata": {"name": "r"},
        "spec": {"placementName": "p", "stagedRolloutStrategyName": "s"},
    }
