"""The committed JSON Schemas in docs/schemas are what the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from resources.schemas import DEFAULT_DIR, KIND_MODELS, main, render_schemas, stale_schemas


def test_committed_schemas_are_up_to_date() -> None:
    assert stale_schemas(KIND_MODELS, DEFAULT_DIR) == [], "run `python -m resources.schemas` and commit docs/schemas"


def test_every_kind_has_a_schema() -> None:
    assert set(render_schemas(KIND_MODELS)) == {
        "ClusterResourcePlacement.json",
        "ClusterStagedUpdateStrategy.json",
        "ClusterStagedUpdateRun.json",
        "ClusterApprovalRequest.json",
        "ClusterResourceSnapshot.json",
        "ClusterSchedulingPolicySnapshot.json",
        "MemberCluster.json",
        "HubObject.json",
    }


def test_schema_uses_manifest_field_names() -> None:
    schema = json.loads(render_schemas(KIND_MODELS)["ClusterStagedUpdateRun.json"])
    spec = schema["$defs"]["UpdateRunSpec"]
    assert set(spec["properties"]) == {"placementName", "resourceSnapshotIndex", "stagedRolloutStrategyName", "state"}
    assert spec["additionalProperties"] is False


def test_check_mode_detects_stale_files(tmp_path: Path) -> None:
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "MemberCluster.json").write_text("{}\n")
    assert main(["--check", "--dir", str(tmp_path)]) == 1
