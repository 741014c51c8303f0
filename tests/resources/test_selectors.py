"""Label selectors as Kubernetes evaluates them, and the selectors built on them (stages, affinity, CRP)."""

from __future__ import annotations

import pytest

from resources import ClusterResourcePlacement, LabelSelector, PlacementPolicy, StageConfig

LABELS = {"environment": "canary", "order": "2"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ({}, True),
        ({"matchLabels": {"environment": "canary"}}, True),
        ({"matchLabels": {"environment": "canary", "order": "2"}}, True),
        ({"matchLabels": {"environment": "staging"}}, False),
        ({"matchLabels": {"region": "eu"}}, False),
        ({"matchExpressions": [{"key": "environment", "operator": "In", "values": ["canary", "prod"]}]}, True),
        ({"matchExpressions": [{"key": "environment", "operator": "In", "values": ["prod"]}]}, False),
        ({"matchExpressions": [{"key": "region", "operator": "In", "values": ["eu"]}]}, False),
        ({"matchExpressions": [{"key": "environment", "operator": "NotIn", "values": ["prod"]}]}, True),
        ({"matchExpressions": [{"key": "environment", "operator": "NotIn", "values": ["canary"]}]}, False),
        ({"matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["eu"]}]}, True),
        ({"matchExpressions": [{"key": "order", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "region", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "region", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "order", "operator": "DoesNotExist"}]}, False),
        (
            {
                "matchLabels": {"environment": "canary"},
                "matchExpressions": [{"key": "order", "operator": "Exists"}, {"key": "x", "operator": "DoesNotExist"}],
            },
            True,
        ),
        (
            {
                "matchLabels": {"environment": "canary"},
                "matchExpressions": [{"key": "order", "operator": "DoesNotExist"}],
            },
            False,
        ),
    ],
)
def test_label_selector(selector: dict, matches: bool) -> None:
    assert LabelSelector.model_validate(selector).matches(LABELS) is matches


def test_empty_selector_matches_a_cluster_without_labels() -> None:
    assert LabelSelector().matches(None) and LabelSelector().matches({})


def test_stage_selector_absent_selects_nothing_empty_selects_all() -> None:
    assert not StageConfig(name="none").selects(LABELS)
    assert StageConfig.model_validate({"name": "all", "labelSelector": {}}).selects(LABELS)


@pytest.mark.parametrize(
    ("max_concurrency", "clusters", "expected"),
    [(None, 10, 1), (3, 10, 3), (3, 2, 3), ("50%", 5, 2), ("25%", 3, 1), ("100%", 7, 7), ("1%", 10, 1)],
)
def test_stage_concurrency(max_concurrency: int | str | None, clusters: int, expected: int) -> None:
    stage = StageConfig.model_validate({"name": "s", "maxConcurrency": max_concurrency})
    assert stage.concurrency_for(clusters) == expected


def test_affinity_required_terms_are_ored_and_preferences_weigh() -> None:
    policy = PlacementPolicy.model_validate(
        {
            "placementType": "PickN",
            "numberOfClusters": 2,
            "affinity": {
                "clusterAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "clusterSelectorTerms": [
                            {"labelSelector": {"matchLabels": {"environment": "canary"}}},
                            {"labelSelector": {"matchLabels": {"environment": "staging"}}},
                        ]
                    },
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 20, "preference": {"labelSelector": {"matchLabels": {"order": "2"}}}},
                        {"weight": -5, "preference": {"labelSelector": {"matchLabels": {"environment": "canary"}}}},
                    ],
                }
            },
        }
    )
    affinity = policy.cluster_affinity
    assert affinity.required_matches({"environment": "staging"})
    assert not affinity.required_matches({"environment": "prod"})
    assert affinity.preference_score(LABELS) == 15
    assert affinity.preference_score({"environment": "staging"}) == 0
    assert PlacementPolicy().cluster_affinity.required_matches({})


def test_placement_selects_hub_objects() -> None:
    crp = ClusterResourcePlacement.model_validate(
        {
            "metadata": {"name": "p"},
            "spec": {
                "resourceSelectors": [
                    {"group": "", "version": "v1", "kind": "Namespace", "name": "test-namespace"},
                    {
                        "group": "rbac.authorization.k8s.io",
                        "version": "v1",
                        "kind": "ClusterRole",
                        "labelSelector": {"matchLabels": {"app": "x"}},
                    },
                ]
            },
        }
    )
    selectors = crp.spec.resource_selectors
    assert selectors[0].selects("v1", "Namespace", "test-namespace", None)
    assert not selectors[0].selects("v1", "Namespace", "other", None)
    assert not selectors[0].selects("apps/v1", "Namespace", "test-namespace", None)
    assert selectors[1].selects("rbac.authorization.k8s.io/v1", "ClusterRole", "any", {"app": "x"})
    assert not selectors[1].selects("rbac.authorization.k8s.io/v1", "ClusterRole", "any", {"app": "y"})
