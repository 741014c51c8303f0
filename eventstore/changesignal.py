"""ChangeSignal: wakes the readers and subscriptions of a store when its log or their progress may have moved."""
from __future__ import annotations

import asyncio


class ChangeSignal:
    """Wakes waiters when something may have changed.

    Take a `token()` before looking, then `wait(token, timeout)`: a `fire()` in between is never missed.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.waiters = 0

    def token(self) -> asyncio.Event:
        return self._event

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, token: asyncio.Event, timeout: float | None) -> None:
        """Return when fired since `token` was taken, or after `timeout` seconds."""
        if token.is_set():
            return
        self.waiters += 1
        try:
            async with asyncio.timeout(timeout):
                await token.wait()
        except TimeoutError:
            pass
        finally:
            self.waiters -= 1
