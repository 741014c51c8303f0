"""Garbage-collector thresholds for the service processes (`tune_collector`, called once at start by the
orchestrator and agent entry points, and by `bench.latency` whose process hosts the simulated fleet).

The orchestrator keeps every owned placement's state in memory (at 10,000 clusters: tens of thousands
of records and persistent-map nodes) and allocates a few dozen short-lived objects per agent report
(events, payloads, records), almost none of them in reference cycles: reference counting frees them.
With the default thresholds (700, 10, 10) the collector still ran every 700 allocations and walked the
older generations often; in `bench.rollout` at N=10,000 that was about 15% of the orchestrator's CPU
(1.7 -> 1.45 CPU seconds with the thresholds below). Collecting the youngest generation every 50,000
allocations and the older ones correspondingly less often keeps cyclic garbage bounded (a few MB) while
the collector walks the long-lived state far less.
In an agents process (a simulated fleet of 1,000 members) the default thresholds ran full collections of
40-110 ms in the middle of a run (each can stall a report that long); with these none ran during the
run, and the longest young collection took 8 ms.
"""
from __future__ import annotations

import gc

SERVICE_THRESHOLDS = (50_000, 20, 100)
"""Allocations between young collections; young collections per middle one; middle ones per full one."""


def tune_collector() -> None:
    """Set `SERVICE_THRESHOLDS` for this process (the collector stays enabled)."""
    gc.set_threshold(*SERVICE_THRESHOLDS)
