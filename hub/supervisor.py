"""Watches the background services of a hub process (read models, orchestrator, simulated members, the
reader of the orchestrator's answers).

A service whose background work fails stays stopped: left alone, the process would go on answering with
errors (every write `500 the projections stopped`) and nothing would restart it. So the first service
that stops by itself ends the process, which exits with status 1 for its supervisor (Kubernetes, systemd,
compose, `fleetstage up` run again) to start it anew; every service resumes from the log, so nothing is
lost. Until the process is gone, `/healthz` answers 503 naming the service and its error.
"""
from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol


class Stoppable(Protocol):
    async def stopped(self) -> BaseException:
        """Wait until the service stops serving by itself (a background task failed); return why."""
        ...


class ServiceStopped(RuntimeError):
    """A background service of this process stopped by itself (the cause is chained)."""


class Supervisor:
    """`watch(name, service)` each service, then `await stopped()`. Use `async with` (stops watching)."""

    def __init__(self) -> None:
        self.failure: ServiceStopped | None = None
        self._stopped = asyncio.Event()
        self._watches: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for watch in self._watches:
            watch.cancel()
        await asyncio.gather(*self._watches, return_exceptions=True)
        self._watches = []

    def watch(self, name: str, service: Stoppable) -> None:
        self._watches.append(asyncio.create_task(self._watch(name, service), name=f"supervise {name}"))

    async def _watch(self, name: str, service: Stoppable) -> None:
        cause = await service.stopped()
        if self.failure is None:
            self.failure = ServiceStopped(f"the {name} stopped: {type(cause).__name__}: {cause}")
            self.failure.__cause__ = cause
            self._stopped.set()

    async def stopped(self) -> ServiceStopped:
        """The first service's stop, once one has stopped."""
        await self._stopped.wait()
        assert self.failure is not None
        return self.failure
