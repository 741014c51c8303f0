"""Property tests: stage assignment and ordering, and execution never exceeding concurrency or overlapping stages."""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetevents.runs import ClusterUpdateStarted, StageStarted, StageSucceeded
from orchestrator.initialization import InitError, assign_stages
from resources.strategy import StagedUpdateStrategySpec
from tests.orchestrator import howto
from tests.orchestrator.machine import Machine, strategy

ENVS = ["a", "b", "c"]
names = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), min_size=1, max_size=12, unique=True)
label_sets = st.fixed_dictionaries(
    {}, optional={"env": st.sampled_from(ENVS), "order": st.one_of(st.integers(-5, 20).map(str), st.just("x"))}
)


@st.composite
def stage_configs(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    stages = []
    for i in range(count):
        stage: dict[str, Any] = {"name": f"s{i}"}
        selector = draw(st.sampled_from(["none", "all", *ENVS]))
        if selector == "all":
            stage["labelSelector"] = {}
        elif selector != "none":
            stage["labelSelector"] = {"matchLabels": {"env": selector}}
        if draw(st.booleans()):
            stage["sortingLabelKey"] = "order"
        stages.append(stage)
    return stages


def _expected_error(stages: list[dict[str, Any]], labels: dict[str, dict[str, str]]) -> str | None:
    """The first problem, computed independently in the order the rules are checked."""
    spec = StagedUpdateStrategySpec.model_validate({"stages": stages})
    placed: set[str] = set()
    for stage in spec.stages:
        members = [c for c in labels if stage.selects(labels[c])]
        dup = next((c for c in members if c in placed), None)
        if dup:
            return f"cluster `{dup}` appears in more than one stages"
        placed.update(members)
        if stage.sorting_label_key:
            for c in members:
                value = labels[c].get("order")
                if value is None or not value.lstrip("-").isdigit():
                    return "sorting"
    unplaced = sorted(set(labels) - placed)
    if unplaced:
        return f"some clusters are not placed in any stage, total {len(unplaced)}"
    return None


@settings(max_examples=300, deadline=None)
@given(names.flatmap(lambda ns: st.tuples(st.just(ns), st.lists(label_sets, min_size=len(ns), max_size=len(ns)))),
       stage_configs())
def test_every_selected_cluster_is_in_exactly_one_stage_in_order_or_the_precise_error(
    clusters: tuple[list[str], list[dict[str, str]]], stages: list[dict[str, Any]]
) -> None:
    labels = dict(zip(clusters[0], clusters[1], strict=True))
    spec = StagedUpdateStrategySpec.model_validate({"stages": stages})
    expected = _expected_error(stages, labels)
    try:
        plans = assign_stages(spec, list(labels), lambda c: labels[c])
    except InitError as exc:
        assert expected is not None, f"unexpected error {exc}"
        if expected == "sorting":
            assert "sorting label `order" in str(exc)
        else:
            assert str(exc).startswith(expected)
        return
    assert expected is None
    placed = [c for p in plans for c in p.clusters]
    assert sorted(placed) == sorted(labels)
    for plan, config in zip(plans, spec.stages, strict=True):
        key = (lambda c: (int(labels[c]["order"]), c)) if config.sorting_label_key else (lambda c: (0, c))
        assert plan.clusters == sorted(plan.clusters, key=key)
        assert plan.max_concurrency >= 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["canary", "staging"]), min_size=1, max_size=8),
    st.one_of(st.integers(1, 4), st.sampled_from(["25%", "50%", "100%"])),
    st.randoms(use_true_random=False),
)
def test_execution_never_exceeds_concurrency_and_stages_never_overlap(
    envs: list[str], concurrency: Any, rnd: Any
) -> None:
    members = {f"m{i}": {"environment": env} for i, env in enumerate(envs)}
    stages = [{"name": env, "labelSelector": {"matchLabels": {"environment": env}}, "maxConcurrency": concurrency}
              for env in ("staging", "canary")]
    m = Machine.howto(members=members, strategy=strategy(*stages))
    m.apply_run(howto.run("r", "1"))
    in_flight: set[str] = set()
    stage_of = {c: labels["environment"] for c, labels in members.items()}
    open_stage: str | None = None
    limit = {s.name: s.max_concurrency for s in m.state.runs["r"].stages}

    def observe(events: list[Any]) -> None:
        nonlocal open_stage
        for e in events:
            if isinstance(e.data, StageStarted):
                assert open_stage is None, "a stage started while another was running"
                open_stage = e.data.stage
            elif isinstance(e.data, StageSucceeded):
                assert open_stage == e.data.stage
                open_stage = None
            elif isinstance(e.data, ClusterUpdateStarted) and e.data.stage != "kubernetes-fleet.io/deleteStage":
                assert stage_of[e.data.cluster] == open_stage
                in_flight.add(e.data.cluster)
                assert len(in_flight) <= limit[e.data.stage]

    observe(m.log)
    while m.outbox:
        request = rnd.choice(m.outbox)
        in_flight.discard(request.cluster)
        observe(m.report(request.cluster))
    assert m.state.runs["r"].outcome == "succeeded"
    done = [c.name for s in m.state.runs["r"].stages for c in s.clusters if c.outcome == "succeeded"]
    assert sorted(done) == sorted(members)
