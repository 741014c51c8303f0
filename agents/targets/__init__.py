"""Where agents put a placement's objects: the `Target` protocol and its implementations.

- `DirectoryTarget`: YAML files in a directory (a simulated member cluster).
- `FaultyTarget`: wraps a target and injects failures and hangs (tests).
- `KubernetesTarget` (`agents.targets.kubernetes`, extra `[kubernetes]`): a real cluster.
"""
from agents.targets.base import Manifest, Target
from agents.targets.directory import DirectoryTarget
from agents.targets.errors import TargetError, TransientTargetError
from agents.targets.faulty import FaultRule, FaultyTarget
from agents.targets.objects import ObjectKey

__all__ = [
    "DirectoryTarget",
    "FaultRule",
    "FaultyTarget",
    "Manifest",
    "ObjectKey",
    "Target",
    "TargetError",
    "TransientTargetError",
]
