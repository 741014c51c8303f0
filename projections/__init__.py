"""Read models rebuilt purely from the log, stored in SQLite with the log position they reflect.

- Pure folds, one module per read model: `run_status` (ClusterStagedUpdateRun), `placement_status`
  (ClusterResourcePlacement), `snapshots` (resource and policy snapshots), `approvals`
  (ClusterApprovalRequest), `members` (MemberCluster), `hub_resources` (hub objects and strategies),
  `audit` (one entry per event); `fold` dispatches an event to them.
- `store`: the SQLite file (documents, audit, positions; one transaction per batch).
- `runner`: `ProjectionRunner` (follows the log, answers queries).
- `timetravel`: point-in-time reads: which partitions make a document, and `replay` (them, up to a time).
- `rebuilding`: `rebuild` (the whole log into a fresh file, in worker processes when given the store's URL).
- `publisher`: optional Kafka compacted view topics.
"""

from projections.rebuilding import rebuild
from projections.runner import FoldError, ProjectionError, ProjectionRunner
from projections.store import default_path
from projections.timetravel import replay

__all__ = ["FoldError", "ProjectionError", "ProjectionRunner", "default_path", "rebuild", "replay"]
