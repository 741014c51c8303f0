"""MemberCluster: a cluster joined to the fleet; stages and affinities select it by its labels."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from resources.base import KubeModel
from resources.kubeobject import KubeObject
from resources.names import CLUSTER_V1BETA1

ClusterApiVersion = Literal["cluster.kubernetes-fleet.io/v1beta1", "cluster.kubernetes-fleet.io/v1"]


class Subject(KubeModel):
    """`spec.identity`: the RBAC subject the member agent authenticates as."""

    kind: str
    name: str
    api_group: str | None = None
    namespace: str | None = None


class Taint(KubeModel):
    key: str
    value: str | None = None
    effect: Literal["NoSchedule"]


class MemberClusterSpec(KubeModel):
    identity: Subject | None = None
    heartbeat_period_seconds: int | None = Field(default=None, ge=1, le=600)
    taints: list[Taint] | None = Field(default=None, max_length=100)


class MemberCluster(KubeObject):
    api_version: ClusterApiVersion = CLUSTER_V1BETA1
    kind: Literal["MemberCluster"] = "MemberCluster"
    spec: MemberClusterSpec | None = None
    status: dict[str, Any] | None = None  # written by agents; not validated
