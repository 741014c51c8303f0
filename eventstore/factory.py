"""`open_store(url, registry)`: the event store backend a URL names (not opened yet).

Accepted forms:
- `memory://`                                   in-process store (tests)
- `sqlite:///abs/path.db`, `sqlite:relative.db`  embedded SQLite file (`embedded:PATH` is an alias)
- `kafka://host:port[,host:port]?prefix=P`      Kafka brokers; topics are named P + stream
  (without `prefix`, the Kafka backend's default prefix); `&security=SASL_SSL&mechanism=SCRAM-SHA-512`
  and the FLEETSTAGE_KAFKA_* environment configure TLS and SASL (see eventstore.kafka_security;
  credentials come only from the environment, never from the URL); `&replication=3&min_insync=2` set the
  replication factor and `min.insync.replicas` of the topics fleetstage creates (default 1 and the
  brokers' default: fit for one broker; a multi-broker cluster wants 3 and 2, see docs/scaling.md)
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from eventstore.kafka_security import CREDENTIAL_VARIABLES, URL_PARAMETERS, kafka_security
from eventstore.memory import MemoryEventStore
from eventstore.registry import EventRegistry
from eventstore.sqlite import SqliteEventStore
from eventstore.store import EventStore

ACCEPTED = (
    "memory://, sqlite:///abs/path.db, sqlite:relative.db, embedded:PATH, kafka://host:port[,host:port]?prefix=fleetstage."
)

KAFKA_PARAMETERS = ("prefix", *URL_PARAMETERS, "replication", "min_insync")


def _bad(url: str, why: str) -> ValueError:
    return ValueError(f"bad event store URL {url!r}: {why}; accepted forms: {ACCEPTED}")


def _sqlite_path(url: str, rest: str) -> str:
    path = rest[2:] if rest.startswith("//") else rest
    if not path or path == "/":
        raise _bad(url, "the SQLite file path is missing")
    return path


def _positive(url: str, query: dict[str, list[str]], name: str) -> int | None:
    if name not in query:
        return None
    text = query[name][-1]
    if not text.isdigit() or int(text) < 1:
        raise _bad(url, f"`{name}` must be a whole number of replicas, at least 1 (got {text!r})")
    return int(text)


def _replication(url: str, query: dict[str, list[str]]) -> dict[str, int]:
    """The `replication` and `min_insync` options of a kafka:// URL, checked against each other."""
    factor, min_insync = _positive(url, query, "replication"), _positive(url, query, "min_insync")
    if min_insync is not None and min_insync > (factor or 1):
        raise _bad(url, f"`min_insync={min_insync}` is more than the replication factor ({factor or 1}): no write "
                   "could ever succeed; lower min_insync or raise replication")
    options = {} if factor is None else {"replication_factor": factor}
    return options if min_insync is None else {**options, "min_insync_replicas": min_insync}


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
        unknown = sorted(set(query) - set(KAFKA_PARAMETERS))
        if unknown:
            accepted = ", ".join(KAFKA_PARAMETERS)
            raise _bad(f"kafka://{parts.netloc}?…",  # the query is left out: its values may be secrets
                       f"unknown parameter(s) {unknown}: a kafka:// URL accepts {accepted}; "
                       f"credentials and certificates come only from the environment ({CREDENTIAL_VARIABLES}) "
                       "because a URL shows in process lists")
        options: dict[str, Any] = {"topic_prefix": query["prefix"][-1]} if "prefix" in query else {}
        options.update(_replication(url, query))
        security = kafka_security(query)
        from eventstore.kafka import KafkaEventStore  # aiokafka is only imported when Kafka is used

        return KafkaEventStore(registry, ",".join(servers), client_options=security.client_options(), **options)
    raise _bad(url, f"unknown scheme {scheme!r}")
