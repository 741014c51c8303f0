"""`SimulatedFleet`: many member clusters in one process, each behaving exactly like its own agent.

Every simulated member has its own name, labels, target directory `<base_dir>/<name>` and ledger
(a `Member`, as in `MemberAgent`); they share one subscription to `agents` (group `group`), which
dispatches each command by cluster name, one heartbeat batch per interval and one join batch.
Members come from a file (`load_members`: YAML or JSON mapping name -> labels) or are generated
(`generate_members(n, recipe)`).

One difference with separate agents: reports are committed with the batch of commands they answer
(exactly once), so a member that takes long (a `hang` fault) delays the reports of the other members
whose commands are in the same or later batches. To simulate one slow member among prompt ones with
several clusters updating at once, run it as its own `MemberAgent`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from agents.applier import ApplySettings
from agents.host import AgentHost
from agents.member import Member
from agents.targets.base import Target
from agents.targets.directory import DirectoryTarget
from agents.targets.faulty import FaultRule, FaultyTarget
from eventstore import EventStore
from orchestrator.clock import Clock

MemberSpec = tuple[str, dict[str, str]]
"""A member to simulate: its name and labels."""

SIMULATOR_GROUP = "fleet-simulator"


class SimulatedFleet(AgentHost):
    """`async with SimulatedFleet(store, [("member1", {...}), ...], base_dir):` (see the module docstring).

    `faults` maps member names to fault rules injected into their targets (a member not listed has none).
    """

    def __init__(
        self,
        store: EventStore,
        members: Sequence[MemberSpec],
        base_dir: Path | str,
        *,
        heartbeat_interval: float = 10.0,
        clock: Clock | None = None,
        settings: ApplySettings | None = None,
        faults: Mapping[str, Sequence[FaultRule]] | None = None,
        group: str = SIMULATOR_GROUP,
        max_parallel: int = 64,
    ) -> None:
        unknown = sorted(set(faults or {}) - {name for name, _ in members})
        if unknown:
            raise ValueError(f"fault rules given for clusters that are not simulated: {', '.join(unknown)}")
        self.base_dir = Path(base_dir)
        settings = settings or ApplySettings()
        built = [
            Member(name, dict(labels), self._target(name, (faults or {}).get(name, ()), clock), settings)
            for name, labels in members
        ]
        super().__init__(
            store, built, group=group, heartbeat_interval=heartbeat_interval, clock=clock, max_parallel=max_parallel
        )

    def _target(self, name: str, rules: Sequence[FaultRule], clock: Clock | None) -> Target:
        directory = DirectoryTarget(self.base_dir / name)
        return FaultyTarget(directory, rules, clock=clock) if rules else directory


def load_members(path: Path | str) -> list[MemberSpec]:
    """Members from a YAML or JSON file mapping each cluster name to its labels."""
    path = Path(path)
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the member labels file {path}: {exc}") from exc
    if not isinstance(loaded, dict) or not loaded:
        raise ValueError(f"{path}: expected a mapping of cluster name -> labels, e.g. `member1: {{order: '2'}}`")
    members = []
    for name, labels in loaded.items():
        labels = labels or {}
        if not isinstance(name, str) or not isinstance(labels, dict):
            raise ValueError(f"{path}: entry {name!r}: expected a cluster name mapped to a mapping of labels")
        members.append((name, {str(key): str(value) for key, value in labels.items()}))
    return members


@dataclass(frozen=True)
class LabelRecipe:
    """How generated members are labelled, deterministically by their number i (1-based).

    `choices[key]` is a list of (value, weight): member i gets the value at position i in the cycle
    where each value repeats `weight` times. `counter_keys` get the member's rank among the members
    sharing its choices (1, 2, ...), usable as a `sortingLabelKey`.
    """

    choices: Mapping[str, Sequence[tuple[str, int]]]
    counter_keys: Sequence[str] = ()

    def __post_init__(self) -> None:
        for key, values in self.choices.items():
            if not values or any(weight < 1 for _, weight in values):
                raise ValueError(f"label recipe for {key!r} needs at least one value, each with a weight >= 1")

    @classmethod
    def parse(cls, specs: Sequence[str]) -> LabelRecipe:
        """From `key=value:weight,value:weight` (weight defaults to 1) and `key=#` (a counter) items."""
        choices: dict[str, list[tuple[str, int]]] = {}
        counters: list[str] = []
        for spec in specs:
            key, sep, values = spec.partition("=")
            if not sep or not key or not values:
                raise ValueError(f"bad label recipe {spec!r}: use key=value:weight,value:weight or key=#")
            if values == "#":
                counters.append(key)
                continue
            weighted = []
            for item in values.split(","):
                value, _, weight = item.partition(":")
                if not weight.isdigit() and weight:
                    raise ValueError(f"bad weight in label recipe {spec!r}: {weight!r} is not a whole number")
                weighted.append((value, int(weight or 1)))
            choices[key] = weighted
        return cls(choices, counters)

    def labels(self, number: int, ranks: dict[tuple[tuple[str, str], ...], int]) -> dict[str, str]:
        """The labels of member `number`; `ranks` counts members per combination of choices (updated)."""
        chosen = {key: _cycle_pick(values, number) for key, values in self.choices.items()}
        combo = tuple(sorted(chosen.items()))
        ranks[combo] = ranks.get(combo, 0) + 1
        return {**chosen, **{key: str(ranks[combo]) for key in self.counter_keys}}


DEFAULT_RECIPE = LabelRecipe({"environment": [("canary", 1), ("staging", 2), ("production", 7)]}, ["order"])
"""10% canary, 20% staging, 70% production, numbered within their environment in `order`."""


def _cycle_pick(values: Sequence[tuple[str, int]], number: int) -> str:
    total = sum(weight for _, weight in values)
    position = (number - 1) % total
    for value, weight in values:
        if position < weight:
            return value
        position -= weight
    raise AssertionError("unreachable: position is below the total weight")


def generate_members(count: int, recipe: LabelRecipe = DEFAULT_RECIPE, *, prefix: str = "member-") -> list[MemberSpec]:
    """`count` members named `<prefix>0001`... (zero-padded so names sort in number order), labelled by `recipe`."""
    if count < 1:
        raise ValueError(f"the number of simulated members must be >= 1, got {count}")
    width = max(4, len(str(count)))
    ranks: dict[tuple[tuple[str, str], ...], int] = {}
    return [(f"{prefix}{number:0{width}d}", recipe.labels(number, ranks)) for number in range(1, count + 1)]
