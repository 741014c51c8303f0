"""Point-in-time reads replay only the partitions that make a document, and give what a replay of the whole
log gives, for every object at every moment of the how-to."""

from __future__ import annotations

from pathlib import Path

from eventstore import EventStore
from eventstore.store import partition_for
from fleetevents import streams
from projections import ProjectionRunner, members
from projections.documents import key_of, presented
from projections.fold import DocumentSet
from projections.timetravel import origin, replay
from tests.projections.howto_events import whole_howto

TIMEOUT = 10.0
EVERY_STREAM = dict.fromkeys(streams.STREAM_NAMES)


async def test_every_object_at_every_moment_is_what_the_whole_log_replayed_gives(
    event_store: EventStore, tmp_path: Path
) -> None:
    howto = whole_howto()
    async with ProjectionRunner(event_store, tmp_path / "p.db") as runner:
        await event_store.append(howto.events)
        await runner.caught_up(TIMEOUT)
        moments = sorted({event.time for event in howto.events})
        keys: set[tuple[str, str, str]] = set()
        for at in moments[::2] + moments[-1:]:
            whole = await replay(event_store, EVERY_STREAM, until=at)
            keys |= {key_of(doc) for doc in whole if doc["kind"] not in (members.KIND, members.LEASE_KIND)}
            for kind, namespace, name in sorted(keys):
                expected = whole.get(kind, name, namespace)
                got = await runner.get_at(kind, name, at, namespace or None)
                assert got == (None if expected is None else presented(expected)), (kind, namespace, name, at)
        assert {"ClusterStagedUpdateRun", "ClusterApprovalRequest", "ClusterResourceSnapshot",
                "ClusterResourcePlacement", "ConfigMap", "ClusterStagedUpdateStrategy"} <= {k for k, _, _ in keys}


async def _no_run(run: str) -> set[str]:
    return set()


async def test_a_placements_objects_are_read_from_its_partition_and_hub_objects_from_fleet(
    event_store: EventStore,
) -> None:
    current = DocumentSet([{
        "kind": "ClusterResourceSnapshot",
        "metadata": {"name": "p-0-snapshot", "labels": {"kubernetes-fleet.io/parent-CRP": "p"}},
    }])
    count = len(await event_store.end_offsets(streams.PLACEMENTS))

    async def reused(run: str) -> set[str]:  # a run name used again for another placement after a deletion
        return {"a", "b"} if run == "r" else set()

    assert await origin(current, "ClusterResourcePlacement", "p", None, event_store, _no_run) == {
        streams.PLACEMENTS: [partition_for("p", count)]}
    assert await origin(current, "ClusterResourceSnapshot", "p-0-snapshot", None, event_store, _no_run) == {
        streams.PLACEMENTS: [partition_for("p", count)]}
    assert await origin(current, "ClusterStagedUpdateRun", "r", None, event_store, reused) == {
        streams.PLACEMENTS: sorted({partition_for("a", count), partition_for("b", count)})}
    assert await origin(current, "ConfigMap", "c", "ns", event_store, _no_run) == {streams.FLEET: None}
    # deleted since: the placement from the name the system gave the object
    assert await origin(current, "ClusterResourceSnapshot", "my-app-7-snapshot", None, event_store, _no_run) == {
        streams.PLACEMENTS: [partition_for("my-app", count)]}
    assert await origin(current, "ClusterSchedulingPolicySnapshot", "my-app-0", None, event_store, _no_run) == {
        streams.PLACEMENTS: [partition_for("my-app", count)]}
    assert await origin(current, "ClusterApprovalRequest", "r-before-canary", None, event_store, reused) == {
        streams.PLACEMENTS: sorted({partition_for("a", count), partition_for("b", count)})}
    # a placement's object whose placement is not known any more: every stream but the heartbeats
    assert await origin(current, "ClusterApprovalRequest", "gone", None, event_store, _no_run) == {
        streams.FLEET: None, streams.PLACEMENTS: None, streams.AGENTS: None}
    assert await origin(current, "MemberCluster", "m", None, event_store, _no_run) == EVERY_STREAM
