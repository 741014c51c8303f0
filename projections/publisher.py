"""Optional publishing of the read models to Kafka, for consumers that only have a Kafka client.

When the event store is Kafka, `KafkaViewPublisher` sends every committed document change to the
compacted topic `<prefix>view.<kind-plural>` (e.g. `fleetstage.view.clusterstagedupdateruns`), keyed
by `<kind>/<namespace>/<name>` (namespace empty for cluster-scoped kinds), value = the document as
JSON; a deletion is a tombstone (null value). Topics are created on first use with
`cleanup.policy=compact`. On start the runner republishes every current document, so a topic converges
to the current views even after a crash between a commit and its publication. While the brokers do not
answer (restarted, frozen), a publication is tried again until they do, so an outage delays the read
models and stops nothing; any other error stops the projections with it. The views are derived data:
they can always be rebuilt from the log (docs/projections.md).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from eventstore.kafka import PRODUCER_SAFETY, TOPIC_READY_TIMEOUT, KafkaEventStore, create_topics, through_outages
from eventstore.kafka_subscription import mark_read
from projections.documents import Document, Key, key_of
from projections.runner import Notice
from resources.kinds import kinds_named

log = logging.getLogger(__name__)

VIEW_CONFIG = {"cleanup.policy": "compact"}
TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError)
"""A view the producer or the broker refuses for its size is left out (logged), not retried for ever."""


def plural(kind: str) -> str:
    """The plural of a kind as the kind table has it (`clusterstagedupdateruns`), else `<kind>s` lower-cased."""
    known = kinds_named(kind)
    return known[0].plural if known else f"{kind.lower()}s"


def view_key(key: Key) -> bytes:
    kind, namespace, name = key
    return f"{kind}/{namespace}/{name}".encode()


class KafkaViewPublisher:
    """Publishes document changes to compacted view topics (see the module docstring). Use `async with`."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic_prefix: str = "fleetstage.",
        replication_factor: int = 1,
        topic_config: dict[str, str] | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic_prefix = topic_prefix
        self.replication_factor = replication_factor
        self.topic_config = {**VIEW_CONFIG, **(topic_config or {})}
        self._client_options = dict(client_options or {})
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._topics: set[str] = set()

    @classmethod
    def for_store(cls, store: KafkaEventStore) -> KafkaViewPublisher:
        """A publisher on the same brokers, with the same topic prefix, as the event store."""
        return cls(
            store.bootstrap_servers,
            topic_prefix=store.topic_prefix,
            replication_factor=store.replication_factor,
            topic_config=store.topic_config(VIEW_CONFIG),
            client_options=store.client_options,
        )

    def topic(self, kind: str) -> str:
        return f"{self.topic_prefix}view.{plural(kind)}"

    async def __aenter__(self) -> KafkaViewPublisher:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, **self._client_options)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers, **PRODUCER_SAFETY, **self._client_options
        )
        await self._admin.start()
        try:
            await self._producer.start()
        except BaseException:
            await self._admin.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._producer is not None:
            await self._producer.stop()
        if self._admin is not None:
            await self._admin.close()
        self._producer = self._admin = None

    async def publish(self, notices: Sequence[Notice]) -> None:
        await self._send((n.key, None if n.type == "DELETED" else n.doc) for n in notices)

    async def publish_all(self, docs: Iterable[Document]) -> None:
        await self._send((key_of(doc), doc) for doc in docs)

    async def _send(self, records: Iterable[tuple[Key, Document | None]]) -> None:
        """Send `records` in order, the whole list again while the brokers do not answer (a compacted topic
        keeps the last value of a key, so a record sent twice changes nothing)."""
        batch = list(records)
        await through_outages(lambda: self._send_once(batch), "publishing views", self.bootstrap_servers)

    async def _send_once(self, records: list[tuple[Key, Document | None]]) -> None:
        if self._producer is None:
            raise RuntimeError("the view publisher is not started: use `async with KafkaViewPublisher(...)`")
        pending: list[tuple[Key, asyncio.Future[Any]]] = []
        for key, doc in records:
            topic = self.topic(key[0])
            await self._ensure_topic(topic)
            value = None if doc is None else orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
            try:
                sent = await self._producer.send(topic, key=view_key(key), value=value)
            except TOO_LARGE as exc:
                _left_out(key, exc)
                continue
            sent.add_done_callback(mark_read)  # read below, unless a later record's send raises first
            pending.append((key, sent))
        outcomes = await asyncio.gather(*(sent for _, sent in pending), return_exceptions=True)  # all read
        failures = []
        for (key, _), outcome in zip(pending, outcomes):
            if isinstance(outcome, TOO_LARGE):
                _left_out(key, outcome)
            elif isinstance(outcome, BaseException):
                failures.append(outcome)
        if failures:
            raise failures[0]

    async def _ensure_topic(self, topic: str) -> None:
        admin = self._admin
        if topic in self._topics or admin is None:
            return
        view = NewTopic(topic, 1, self.replication_factor, topic_configs=self.topic_config)
        await create_topics(admin, [view], "view topic", timeout=math.inf)  # waits out the brokers' outages
        async with asyncio.timeout(TOPIC_READY_TIMEOUT):
            while not await _has_leader(admin, topic):
                await asyncio.sleep(0.05)  # a new topic's leader is elected asynchronously
        self._topics.add(topic)


def _left_out(key: Key, exc: BaseException) -> None:
    log.error("view of %s left out of its topic, which keeps its previous value: %r (the read model and the "
              "API have the document; raise the topic's max.message.bytes and the producer's max_request_size "
              "to publish it)", "/".join(key), exc)


async def _has_leader(admin: AIOKafkaAdminClient, topic: str) -> bool:
    [described] = await admin.describe_topics([topic])
    partitions = described["partitions"]
    return described["error_code"] == 0 and bool(partitions) and all(p["leader"] >= 0 for p in partitions)
