"""How much CPU each process of a benchmark used over a window, and how long its threads waited for a
core: the orchestrators, this process (the simulated fleet and the driver) and the local broker. On a
2-core machine this says which process the wall time is waiting for, and whether the machine was
saturated (busy cores close to 2, or long run-queue waits: other work on the machine took the cores).

Read from the kernel, so it costs nothing while the benchmark runs: CPU from `/proc/PID/stat` (utime +
stime, every thread included), the run-queue wait from `/proc/PID/task/*/schedstat` (the threads alive
at both samples; a thread that ended in between is not counted).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

THIS_PROCESS = "fleet + driver"
BROKER = "broker"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)


def queued_seconds(pid: int) -> float:
    """Seconds the threads of `pid` alive now spent runnable but waiting for a core, so far."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return total / 1e9


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def broker_pid() -> int | None:
    """The Kafka broker this process started (a LocalKafka child), if any."""
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        for child in children:
            try:
                if b"kafka.Kafka" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
            except FileNotFoundError:  # the child ended meanwhile
                continue
    return None


class CpuMeter:
    """CPU seconds used by `processes` (name -> pid), this process and the broker since it was made, and
    the seconds their threads waited for a core."""

    def __init__(self, processes: Mapping[str, int]) -> None:
        self._pids = {THIS_PROCESS: os.getpid(), **processes}
        broker = broker_pid()
        if broker is not None:
            self._pids[BROKER] = broker
        self._start_cpu = self._cpu()
        self._start_queued = self._queued()

    def _cpu(self) -> dict[str, float]:
        return {name: own_cpu_seconds() if name == THIS_PROCESS else cpu_seconds(pid)
                for name, pid in self._pids.items()}

    def _queued(self) -> dict[str, float]:
        return {name: queued_seconds(pid) for name, pid in self._pids.items()}

    def used(self) -> dict[str, float]:
        """Seconds of CPU per process since the meter was made."""
        now = self._cpu()
        return {name: now[name] - start for name, start in self._start_cpu.items()}

    def queued(self) -> dict[str, float]:
        """Seconds per process its threads waited for a core since the meter was made."""
        now = self._queued()
        return {name: max(0.0, now[name] - start) for name, start in self._start_queued.items()}
