"""Updates the API refuses: immutable run and approval specs, and forbidden run state transitions."""

from __future__ import annotations

import pytest

from demo import manifests
from resources import (
    ApprovalRequestStatus,
    ClusterApprovalRequest,
    ClusterStagedUpdateRun,
    Condition,
    InvalidUpdateError,
    check_approval_update,
    check_run_update,
    parse_manifests,
)
from resources.names import LABEL_TARGET_UPDATE_RUN, LABEL_TARGET_UPDATING_STAGE


def _run(**spec_changes: object) -> ClusterStagedUpdateRun:
    [run] = parse_manifests(manifests.FIRST_RUN)
    assert isinstance(run, ClusterStagedUpdateRun)
    return run.model_copy(update={"spec": run.spec.model_copy(update=spec_changes)})


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Initialize", "Run"),
        ("Run", "Stop"),
        ("Stop", "Run"),
        ("Run", "Run"),
        ("Stop", "Stop"),
        ("Initialize", "Initialize"),
        (None, "Stop"),
        (None, "Run"),
        ("Stop", None),
        ("Initialize", None),
    ],
)
def test_allowed_state_transitions(before: str | None, after: str | None) -> None:
    check_run_update(_run(state=before), _run(state=after))


@pytest.mark.parametrize(
    ("before", "after"),
    [("Initialize", "Stop"), ("Run", "Initialize"), ("Stop", "Initialize"), (None, "Initialize")],
)
def test_forbidden_state_transitions(before: str | None, after: str | None) -> None:
    with pytest.raises(InvalidUpdateError) as caught:
        check_run_update(_run(state=before), _run(state=after))
    assert caught.value.path == "spec.state"
    assert f"cannot transition from {before or 'Run'} to {after}" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "alias", "value"),
    [
        ("placement_name", "placementName", "other-placement"),
        ("resource_snapshot_index", "resourceSnapshotIndex", "0"),
        ("resource_snapshot_index", "resourceSnapshotIndex", None),
        ("staged_rollout_strategy_name", "stagedRolloutStrategyName", "other-strategy"),
    ],
)
def test_run_spec_fields_other_than_state_are_immutable(field: str, alias: str, value: object) -> None:
    with pytest.raises(InvalidUpdateError) as caught:
        check_run_update(_run(), _run(**{field: value}))
    assert caught.value.path == f"spec.{alias}"
    assert str(caught.value).startswith(
        f'ClusterStagedUpdateRun "example-run" is invalid: spec.{alias}: {alias} is immutable'
    )


def test_immutable_field_message_shows_both_values_as_written() -> None:
    with pytest.raises(InvalidUpdateError, match=r'\(was unset, now "0"\)'):
        check_run_update(_run(resource_snapshot_index=None), _run(resource_snapshot_index="0"))
    with pytest.raises(InvalidUpdateError, match=r'\(was "example-placement", now "other"\)'):
        check_run_update(_run(placement_name="example-placement"), _run(placement_name="other"))


def test_approval_request_for_a_stage() -> None:
    after = ClusterApprovalRequest.for_stage("example-run", "canary")
    before = ClusterApprovalRequest.for_stage("example-run", "canary", before=True)
    assert after.name == "example-run-canary" and before.name == "example-run-before-canary"
    assert after.labels == {LABEL_TARGET_UPDATE_RUN: "example-run", LABEL_TARGET_UPDATING_STAGE: "canary"}
    assert after.to_dict()["spec"] == {"parentStageRollout": "example-run", "targetStage": "canary"}
    assert after.to_dict()["metadata"]["labels"] == {
        "kubernetes-fleet.io/targetUpdateRun": "example-run",
        "kubernetes-fleet.io/targetUpdatingStage": "canary",
    }


def test_approval_spec_is_immutable_status_is_not() -> None:
    old = ClusterApprovalRequest.for_stage("example-run", "canary")
    condition = Condition(type="Approved", status="True", reason="lgtm", observed_generation=1)
    approved = old.model_copy(update={"status": ApprovalRequestStatus(conditions=[condition])})
    check_approval_update(old, approved)
    moved = old.model_copy(update={"spec": old.spec.model_copy(update={"target_stage": "staging"})})
    with pytest.raises(InvalidUpdateError, match="spec: The spec field is immutable"):
        check_approval_update(old, moved)


@pytest.mark.parametrize(
    ("generation", "observed", "status", "approved"),
    [(1, 1, "True", True), (2, 1, "True", False), (1, None, "True", False), (1, 1, "False", False)],
)
def test_approval_counts_only_for_the_current_generation(
    generation: int, observed: int | None, status: str, approved: bool
) -> None:
    text = f"""\
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterApprovalRequest
metadata: {{name: example-run-canary, generation: {generation}}}
spec: {{parentStageRollout: example-run, targetStage: canary}}
status:
  conditions:
  - type: Approved
    status: "{status}"
    reason: lgtm
    message: lgtm
    lastTransitionTime: 2025-01-01T00:00:00Z
""" + (f"    observedGeneration: {observed}\n" if observed is not None else "")
    [request] = parse_manifests(text)
    assert isinstance(request, ClusterApprovalRequest)
    assert request.is_approved() is approved
    assert not request.is_accepted()
