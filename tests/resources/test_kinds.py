"""The kind table: every word a user may type names the right kind; unknown words get close matches."""

from __future__ import annotations

import pytest

from resources import KINDS, UnknownKindError, lookup_kind, resolve_kind


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("crp", "ClusterResourcePlacement"),
        ("clusterresourceplacements", "ClusterResourcePlacement"),
        ("ClusterResourcePlacement", "ClusterResourcePlacement"),
        ("csus", "ClusterStagedUpdateStrategy"),
        ("csur", "ClusterStagedUpdateRun"),
        ("clusterstagedupdateruns", "ClusterStagedUpdateRun"),
        ("careq", "ClusterApprovalRequest"),
        ("clusterapprovalrequest", "ClusterApprovalRequest"),
        ("clusterapprovalrequests", "ClusterApprovalRequest"),
        ("clusterapprovalrequests.placement.kubernetes-fleet.io", "ClusterApprovalRequest"),
        ("clusterresourcesnapshots", "ClusterResourceSnapshot"),
        ("clusterresourcesnapshot", "ClusterResourceSnapshot"),
        ("clusterschedulingpolicysnapshots", "ClusterSchedulingPolicySnapshot"),
        ("membercluster", "MemberCluster"),
        ("memberclusters", "MemberCluster"),
        ("ns", "Namespace"),
        ("namespaces", "Namespace"),
        ("cm", "ConfigMap"),
        ("configmap", "ConfigMap"),
        ("deploy", "Deployment"),
        ("deployments.apps", "Deployment"),
    ],
)
def test_resolve(word: str, kind: str) -> None:
    assert resolve_kind(word).kind == kind


def test_kind_group_as_kubectl_prints_it() -> None:
    assert resolve_kind("careq").kind_group == "clusterapprovalrequest.placement.kubernetes-fleet.io"
    assert resolve_kind("csur").kind_group == "clusterstagedupdaterun.placement.kubernetes-fleet.io"
    assert resolve_kind("membercluster").kind_group == "membercluster.cluster.kubernetes-fleet.io"
    assert resolve_kind("cm").kind_group == "configmap"
    assert resolve_kind("deploy").kind_group == "deployment.apps"


def test_scope_versions_and_read_only() -> None:
    assert resolve_kind("csur").api_version == "placement.kubernetes-fleet.io/v1beta1"
    assert resolve_kind("membercluster").api_version == "cluster.kubernetes-fleet.io/v1beta1"
    assert resolve_kind("deploy").api_version == "apps/v1"
    assert resolve_kind("ns").api_version == "v1"
    assert resolve_kind("cm").namespaced and not resolve_kind("ns").namespaced and not resolve_kind("crp").namespaced
    assert {i.kind for i in KINDS if i.read_only} == {"ClusterResourceSnapshot", "ClusterSchedulingPolicySnapshot"}


def test_unknown_word_lists_close_matches() -> None:
    with pytest.raises(UnknownKindError) as caught:
        resolve_kind("csurr")
    assert str(caught.value) == 'the server doesn\'t have a resource type "csurr"; did you mean "csur" or "csus"?'
    with pytest.raises(UnknownKindError, match='did you mean "clusterapprovalrequest"'):
        resolve_kind("clusterapprovalrequestz")
    with pytest.raises(UnknownKindError) as caught:
        resolve_kind("zzzzzz")
    assert caught.value.suggestions == []


def test_words_are_unambiguous() -> None:
    words = [w for info in KINDS for w in info.words()]
    assert len(words) == len(set(words))


def test_lookup_is_by_group_and_kind() -> None:
    assert lookup_kind("apps", "Deployment") is resolve_kind("deploy")
    assert lookup_kind("", "Deployment") is None
