"""`StageClusters` keeps its counts and cursors equal to a recount, whatever the order of the changes."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.stageclusters import ClusterProgress, StageClusters

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
NAMES = tuple(f"m{i}" for i in range(8))

times = st.integers(0, 20).map(lambda s: T0 + timedelta(seconds=s))
changes = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(NAMES), times),
    st.tuples(st.just("succeed"), st.sampled_from(NAMES), times),
    st.tuples(st.just("fail"), st.sampled_from(NAMES), times),
    st.tuples(st.just("reset"), st.sampled_from(NAMES), times),
)


def _changed(cluster: ClusterProgress, kind: str, at: datetime) -> ClusterProgress:
    if kind == "start":
        return replace(cluster, started_at=at)
    if kind == "reset":
        return ClusterProgress(cluster.name)
    return replace(cluster, outcome="succeeded" if kind == "succeed" else "failed")


def _assert_like_a_recount(clusters: StageClusters, cutoff: datetime) -> None:
    every = list(clusters)
    flying = [c for c in every if c.in_flight]
    assert [c.name for c in every] == list(NAMES)
    assert clusters.in_flight == len(flying)
    assert clusters.succeeded == sum(c.outcome == "succeeded" for c in every)
    assert clusters.failed == sum(c.outcome == "failed" for c in every)
    assert all(c.started_at is not None for c in every[:clusters.first_unstarted])
    assert all(c.outcome for c in every[:clusters.first_unfinished])
    assert clusters.earliest_in_flight_start() == min((c.started_at for c in flying if c.started_at), default=None)
    not_started = [c for c in every if c.started_at is None]
    for limit in (0, 1, 3, len(NAMES)):
        assert clusters.unstarted(limit) == not_started[:limit]
    stuck = [c.name for c in flying if c.started_at is not None and c.started_at <= cutoff]
    assert clusters.in_flight_since(cutoff, 3) == stuck[:3]


@settings(max_examples=400, deadline=None)
@given(st.lists(changes, max_size=40), times)
def test_counts_cursors_and_queries_match_a_recount_after_any_changes(
    steps: list[tuple[str, str, datetime]], cutoff: datetime
) -> None:
    clusters = StageClusters.planned(NAMES)
    for kind, name, at in steps:
        before, snapshot = clusters, list(clusters)
        current = clusters.get(name)
        assert current is not None
        clusters = clusters.updated(_changed(current, kind, at))
        assert list(before) == snapshot, "updated changed the version it was called on"
        _assert_like_a_recount(clusters, cutoff)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["start", "succeed", "fail"]), max_size=30), st.randoms(use_true_random=False))
def test_orchestrator_order_keeps_the_fast_path(kinds: list[str], rnd: object) -> None:
    """Starts in plan order at non-decreasing times (what the orchestrator does): no fallback scans."""
    clusters = StageClusters.planned(NAMES)
    now = T0
    for kind in kinds:
        now += timedelta(seconds=1)
        if kind == "start":
            for cluster in clusters.unstarted(2):
                clusters = clusters.updated(replace(cluster, started_at=now))
        elif (flying := [c for c in clusters if c.in_flight]):
            chosen = flying[rnd.randrange(len(flying))]  # type: ignore[attr-defined]
            clusters = clusters.updated(replace(chosen, outcome="succeeded" if kind == "succeed" else "failed"))
        assert clusters.starts_in_order
        _assert_like_a_recount(clusters, now - timedelta(seconds=3))


def test_a_cluster_outside_the_stage_is_not_found() -> None:
    assert StageClusters.planned(NAMES).get("elsewhere") is None
    assert len(StageClusters.planned(())) == 0
