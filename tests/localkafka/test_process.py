"""The broker-process helpers: `wait_stopped` returns only once SIGSTOP has stopped every thread, which
is what lets a fault test rely on a paused broker answering nothing."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from localkafka.process import thread_states, wait_stopped

BUSY_THREADS = """
import threading
def spin():
    while True:
        pass
for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
print("ready", flush=True)
spin()
"""


def test_wait_stopped_returns_once_every_thread_of_a_busy_process_is_stopped() -> None:
    proc = subprocess.Popen([sys.executable, "-c", BUSY_THREADS], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        assert not wait_stopped(proc.pid, 0.05), "a running process counted as stopped"
        os.kill(proc.pid, signal.SIGSTOP)
        assert wait_stopped(proc.pid, 10)
        assert set(thread_states(proc.pid)) == {"T"}
    finally:
        proc.kill()
        proc.wait()
