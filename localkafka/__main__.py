"""`python -m localkafka start|stop|status`: a local broker by hand (state under the cache directory)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localkafka.broker import BrokerError, LocalKafka
from localkafka.jars import JarsError
from localkafka.paths import cache_home
from localkafka.process import terminate
from localkafka.state import BrokerState


def _state_path(home: Path) -> Path:
    return home / "local" / "state.json"


def start(home: Path, port: int | None) -> int:
    state = BrokerState.load(_state_path(home))
    if state is not None and state.alive():
        print(state.bootstrap)
        print(f"already running (pid {state.pid}, dir {state.workdir})", file=sys.stderr)
        return 0
    broker = LocalKafka(home / "local", port=port, detach=True)
    try:
        bootstrap = broker.start()
    except (BrokerError, JarsError) as exc:
        print(f"kafka-local: {exc}", file=sys.stderr)
        return 1
    assert broker.pid is not None
    BrokerState(broker.pid, bootstrap, broker.config.broker_port, broker.config.controller_port,
                str(broker.workdir)).save(_state_path(home))
    print(bootstrap)
    print(f"started (pid {broker.pid}, log {broker.log_path}); stop it with `kafka-local stop`", file=sys.stderr)
    return 0


def stop(home: Path, timeout: float) -> int:
    path = _state_path(home)
    state = BrokerState.load(path)
    if state is None or not state.alive():
        print("not running")
        path.unlink(missing_ok=True)
        return 0
    clean = terminate(state.pid, timeout)
    path.unlink(missing_ok=True)
    print("stopped" if clean else f"killed (no clean shutdown within {timeout:.0f}s)")
    return 0


def status(home: Path) -> int:
    state = BrokerState.load(_state_path(home))
    if state is None or not state.alive():
        print("not running")
        return 3
    print(f"running {state.bootstrap} (pid {state.pid}, dir {state.workdir})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kafka-local", description="A local single-node Apache Kafka broker (KRaft).")
    parser.add_argument("--home", type=Path, default=cache_home(), help="cache and state directory (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start a fresh broker in the background and print its bootstrap address")
    p_start.add_argument("--port", type=int, help="broker port (default: a free one)")
    p_stop = sub.add_parser("stop", help="stop the broker `start` launched")
    p_stop.add_argument("--timeout", type=float, default=20.0, help="seconds before SIGKILL (default: %(default)s)")
    sub.add_parser("status", help="print whether it runs and where (exit 3 when not running)")
    args = parser.parse_args(argv)
    if args.command == "start":
        return start(args.home, args.port)
    if args.command == "stop":
        return stop(args.home, args.timeout)
    return status(args.home)


if __name__ == "__main__":
    sys.exit(main())
