"""A hub whose read models stop by themselves says so on /healthz and ends with status 1 (hub.supervisor),
instead of answering every write with `500 the projections stopped` until someone restarts it."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from eventstore.factory import open_store
from fleetevents import registry
from fleetevents.streams import ALL_STREAMS
from hub import runner as hub_runner
from hub.api import create_app
from hub.supervisor import ServiceStopped, Supervisor
from projections import ProjectionRunner
from projections.documents import Document
from projections.runner import Notice
from tests.cli.test_api import running_hub
from tests.projections.howto_events import whole_howto

TIMEOUT = 30.0


class RefusingPublisher:
    """A view publisher whose broker refuses every change: not authorised (an error that does not pass)."""

    async def publish(self, notices: Sequence[Notice]) -> None:
        raise TopicAuthorizationFailedError("not allowed to write the view topic")

    async def publish_all(self, docs: Iterable[Document]) -> None:
        """Nothing at start: the read model is empty."""


async def test_read_models_that_stop_are_named_by_the_supervisor_and_healthz(tmp_path: Path) -> None:
    async with running_hub("memory://", tmp_path / "hub", members=False) as hub:
        assert (await hub.http.get("/healthz")).text == "ok"
        async with open_store("memory://", registry) as store:
            await store.ensure_streams(ALL_STREAMS)
            async with (
                ProjectionRunner(store, tmp_path / "views.db", publisher=RefusingPublisher()) as read,
                Supervisor() as supervisor,
            ):
                supervisor.watch("read models", read)
                await store.append(whole_howto().events[:1])
                stopped = await asyncio.wait_for(supervisor.stopped(), TIMEOUT)
                app = create_app(dataclasses.replace(hub.services, supervisor=supervisor))
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
                    health = await http.get("/healthz")
    assert isinstance(stopped.__cause__, TopicAuthorizationFailedError)
    assert str(stopped).startswith("the read models stopped: TopicAuthorizationFailedError")
    assert health.status_code == 503
    assert health.text == f"{stopped}\n"


def test_a_service_that_stops_ends_the_process_with_status_1(caplog: pytest.LogCaptureFixture) -> None:
    async def serving() -> None:
        stop = ServiceStopped("the orchestrator stopped: KafkaError: gone")
        stop.__cause__ = RuntimeError("gone")
        raise stop

    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exit_status:
        hub_runner.run(serving())
    assert exit_status.value.code == 1
    assert "the orchestrator stopped: KafkaError: gone; exiting with status 1" in caplog.text
