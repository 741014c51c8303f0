"""The rebuild shared out among worker processes (partitions split between them, all writing the new file)
writes exactly what the live runner committed, and a worker's failure is raised with its cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstore.sqlite import SqliteEventStore
from projections import ProjectionRunner, rebuild
from projections.rebuilding import check_disjoint, share_out
from projections.workerpool import WorkerError
from tests.projections.howto_events import whole_howto
from tests.projections.test_runner import TIMEOUT, append_in_chunks, tables, with_heartbeats


async def test_a_rebuild_in_worker_processes_equals_the_live_projection(
    sqlite_event_store: SqliteEventStore, tmp_path: Path
):
    events = with_heartbeats(whole_howto())
    async with ProjectionRunner(sqlite_event_store, tmp_path / "live.db", batch_size=16) as runner:
        await append_in_chunks(sqlite_event_store, events)
        await runner.caught_up(TIMEOUT)
    url = f"sqlite:{sqlite_event_store.path}"
    one = await rebuild(sqlite_event_store, tmp_path / "one.db", workers=1, store_url=url)
    three = await rebuild(sqlite_event_store, tmp_path / "three.db", workers=3, store_url=url, batch_size=7)
    assert three == one
    live = tables(tmp_path / "live.db")
    assert len(live["audit"]) == len(events)
    assert tables(tmp_path / "three.db") == live
    assert tables(tmp_path / "one.db") == live


async def test_a_failing_worker_is_raised_with_its_traceback(sqlite_event_store: SqliteEventStore, tmp_path: Path):
    await sqlite_event_store.append(whole_howto().events)
    wrong = f"sqlite:{tmp_path / 'other-events.db'}"  # no streams there: the workers cannot read them
    with pytest.raises(WorkerError, match=r"rebuild worker \d failed:(.|\n)*UnknownStreamError"):
        await rebuild(sqlite_event_store, tmp_path / "rebuilt.db", workers=2, store_url=wrong)


async def test_a_parallel_rebuild_needs_a_store_url_workers_can_open(sqlite_event_store: SqliteEventStore,
                                                                      tmp_path: Path):
    with pytest.raises(ValueError, match="needs the URL"):
        await rebuild(sqlite_event_store, tmp_path / "a.db", workers=2)
    with pytest.raises(ValueError, match="needs the URL"):
        await rebuild(sqlite_event_store, tmp_path / "b.db", workers=2, store_url="memory://")


def test_partitions_are_shared_out_by_size():
    sizes = {("placements", 0): 50, ("placements", 1): 40, ("agents", 0): 30, ("agents", 1): 20, ("fleet", 0): 5}
    shares = share_out(sizes, 2)
    assert shares == [{"placements": [0], "agents": [1], "fleet": [0]}, {"placements": [1], "agents": [0]}]
    assert share_out(sizes, 9) == [{"placements": [0]}, {"placements": [1]}, {"agents": [0]}, {"agents": [1]},
                                   {"fleet": [0]}]
    assert share_out({}, 2) == []


def test_a_document_written_by_two_workers_is_refused(tmp_path: Path):
    key = ("ConfigMap", "", "shared")
    check_disjoint(tmp_path / "a.db", [{key}, {("ConfigMap", "", "other")}])
    with pytest.raises(ValueError, match=r"workers 0 and 2 both wrote the document \('ConfigMap', '', 'shared'\)"):
        check_disjoint(tmp_path / "a.db", [{key}, set(), {key}])
