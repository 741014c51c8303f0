"""`open_store(url, registry)`: the event store backend a URL names (not opened yet).

Accepted forms:
- `memory://`                                   in-process store (tests)
- `sqlite:///abs/path.db`, `sqlite:relative.db`  embedded SQLite file (`embedded:PATH` is an alias)
- `kafka://host:port[,host:port]?prefix=P`      Kafka brokers; topics are named P + stream
  (without `prefix`, the Kafka backend's default prefix); `&security=SASL_SSL&mechanism=SCRAM-SHA-512`
  and the FLEETSTAGE_KAFKA_* environment configure TLS and SASL (see eventstore.kafka_security;
  credentials come only from the environment, never from the URL)
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from eventstore.kafka_security import kafka_security
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
        if "@" in parts.netloc:
            raise _bad("kafka://…@" + parts.netloc.rpartition("@")[2], "credentials never go in the URL (it shows in "
                       "process lists): set FLEETSTAGE_KAFKA_USERNAME and FLEETSTAGE_KAFKA_PASSWORD instead")
        servers = [s for s in parts.netloc.split(",") if s]
        if not servers or any(":" not in s for s in servers):
            raise _bad(url, "give the brokers as host:port[,host:port]")
        query = parse_qs(parts.query)
        options = {"topic_prefix": query["prefix"][-1]} if "prefix" in query else {}
        security = kafka_security(query)
        from eventstore.kafka import KafkaEventStore  # aiokafka is only imported when Kafka is used

        return KafkaEventStore(registry, ",".join(servers), client_options=security.client_options(), **options)
    raise _bad(url, f"unknown scheme {scheme!r}")
