"""localkafka: runs a real single-node Apache Kafka 4.x broker (KRaft) from Maven Central jars.

No Docker needed: the jars listed by `deploy/kafka/pom.xml` are collected once with Maven into a
git-ignored cache, then `LocalKafka(workdir).start()` formats a fresh KRaft storage, starts
`kafka.Kafka` with a single combined broker+controller on 127.0.0.1 and returns the bootstrap address
once a client can fetch metadata from it. `python -m localkafka start|stop|status` drives one by hand.
"""
from localkafka.broker import BrokerError, LocalKafka
from localkafka.jars import JarsError, collect_jars

__all__ = ["BrokerError", "JarsError", "LocalKafka", "collect_jars"]
