"""`open_store(url, registry)`: the event store backend a URL names (not opened yet).

Accepted forms:
- `memory://`                                   in-process store (tests)
- `sqlite:///abs/path.db`, `sqlite:relative.db`  embedded SQLite file (`embedded:PATH` is an alias)
- `kafka://host:port[,host:port]?prefix=P`      Kafka brokers; topics are named P + stream
  (without `prefix`, the Kafka backend's default prefix)
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from eventstore.memory import MemoryEventStore
from eventstore.registry import EventRegistry
from eventstore.sqlite import SqliteEventStore
from eventstore.store import EventStore

ACCEPTED = (
    "memory://, sqlite:///abs/path.db, sqlite:relative.db, embedded:PATH, kafka://host:port[,host:port]?prefix=fleetstage."
)


def _bad(url: str, why: str) -> ValueError:
    return ValueError(f"bad event store URL {url!r}: {why}; accepted forms: {ACCEPTED}")


def _sqlite_path(url: str, rest: str) -> str:
    path = rest[2:] if rest.startswith("//") else rest
    if not path or path == "/":
        raise _bad(url, "the SQLite file path is missing")
    return path


def open_store(url: str, registry: EventRegistry) -> EventStore:
    """The store `url` names (see the module docstring); a ValueError names the accepted forms."""
    scheme, sep, rest = url.partition(":")
    if not sep:
        raise _bad(url, "no scheme")
    scheme = scheme.lower()
    if scheme == "memory":
        if rest not in ("", "//"):
            raise _bad(url, "memory:// takes no path")
        return MemoryEventStore(registry)
    if scheme in ("sqlite", "embedded"):
        return SqliteEventStore(registry, _sqlite_path(url, rest))
    if scheme == "kafka":
        parts = urlsplit(url)
        servers = [s for s in parts.netloc.split(",") if s]
        if not servers or any(":" not in s for s in servers):
            raise _bad(url, "give the brokers as host:port[,host:port]")
        options = {"topic_prefix": prefix[-1]} if (prefix := parse_qs(parts.query).get("prefix")) else {}
        from eventstore.kafka import KafkaEventStore  # aiokafka is only imported when Kafka is used

        return KafkaEventStore(registry, ",".join(servers), **options)
    raise _bad(url, f"unknown scheme {scheme!r}")
