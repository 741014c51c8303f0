"""N `fleetstage orchestrator` processes in one consumer group, and which `placements` partitions each
one serves.

They all use the orchestrator's default group (`orchestrator`, prefixed by the store URL's topic
prefix), so Kafka splits the partitions of `placements` among them. What each serves is read from its
own log (level info): the orchestrator logs `now serving placements partition P: ...` once it has
rebuilt a partition's state and `no longer serving placements partition P` when it gives one up, so the
log says when an orchestrator really serves a partition, not only when Kafka assigned it.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.support import OrchestratorProcess, orchestrator_process

SERVING = re.compile(r"now serving placements partition (\d+):")
LEFT = re.compile(r"no longer serving placements partition (\d+)\b")
SETTLE_POLL_SECONDS = 0.1
"""How often the logs are read while waiting for the group to settle."""


def served_partitions(log_text: str) -> frozenset[int]:
    """The partitions an orchestrator serves at the end of `log_text` (its log so far)."""
    serving: set[int] = set()
    for line in log_text.splitlines():
        if (taken := SERVING.search(line)) is not None:
            serving.add(int(taken.group(1)))
        elif (left := LEFT.search(line)) is not None:
            serving.discard(int(left.group(1)))
    return frozenset(serving)


def is_settled(assignment: list[frozenset[int]], partitions: int) -> bool:
    """Every member serves some partition, none is served twice, every one is served."""
    served = [p for owned in assignment for p in owned]
    return all(assignment) and len(served) == len(set(served)) == partitions


@dataclass
class OrchestratorGroup:
    members: list[OrchestratorProcess]

    def check_alive(self) -> None:
        for member in self.members:
            member.check_alive()

    def pids(self) -> dict[str, int]:
        """`orchestrator N` (from 1) -> its pid."""
        return {f"orchestrator {n}": m.target_pid() for n, m in enumerate(self.members, 1)}

    def peak_rss_mb(self) -> list[float]:
        return [member.peak_rss_mb() for member in self.members]

    def assignment(self, partitions: int) -> list[frozenset[int]]:
        """The partitions each member serves now (a lone member serves them all: nothing to read)."""
        if len(self.members) == 1:
            return [frozenset(range(partitions))]
        return [served_partitions(m.log.read_text(errors="replace")) for m in self.members]

    async def settled(self, partitions: int, timeout: float) -> list[frozenset[int]]:
        """Wait until the members split the `partitions` of `placements` among them, each serving some
        (see `is_settled`); return who serves what. TimeoutError shows the split seen last."""
        assignment = self.assignment(partitions)
        try:
            async with asyncio.timeout(timeout):
                while not is_settled(assignment, partitions):
                    self.check_alive()
                    await asyncio.sleep(SETTLE_POLL_SECONDS)
                    assignment = self.assignment(partitions)
        except TimeoutError:
            raise TimeoutError(f"the {len(self.members)} orchestrators did not split the {partitions} placements "
                               f"partitions within {timeout:.0f}s; serving now: {describe(assignment)}") from None
        return assignment


def describe(assignment: list[frozenset[int]]) -> str:
    """`0,1,2,3 / 4,5,6,7`: the partitions of each member."""
    return " / ".join(",".join(str(p) for p in sorted(owned)) or "-" for owned in assignment)


@asynccontextmanager
async def orchestrator_group(
    url: str, workdir: Path, count: int, profile: Path | None = None, trace_memory: Path | None = None
) -> AsyncIterator[OrchestratorGroup]:
    """`count` orchestrators on `url`, all in the default group, logging at info (what `settled` reads).
    With `profile`, each runs under py-spy (`<stem>-N.json` when there are several)."""
    if count < 1:
        raise ValueError(f"the number of orchestrators must be at least 1, got {count}")
    if trace_memory is not None and count > 1:
        raise ValueError("--trace-memory traces one orchestrator: use it with a single orchestrator")
    async with AsyncExitStack() as stack:
        members = [
            await stack.enter_async_context(orchestrator_process(
                url, workdir, _member_profile(profile, n, count), trace_memory, log_level="info"))
            for n in range(1, count + 1)
        ]
        yield OrchestratorGroup(members)


def _member_profile(profile: Path | None, number: int, count: int) -> Path | None:
    if profile is None or count == 1:
        return profile
    return profile.with_name(f"{profile.stem}-{number}{profile.suffix}")
