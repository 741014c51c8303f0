"""Kafka security settings of a kafka:// URL (eventstore/kafka_security.py): what the URL query and the
FLEETSTAGE_KAFKA_* environment give the aiokafka clients, and the errors naming the missing setting."""
from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from eventstore.errors import KafkaSecurityError
from eventstore.factory import open_store
from eventstore.kafka_security import KafkaSecurity, kafka_security
from tests.eventstore.payloads import registry

SECRET = "hunter2-secret"
SCRAM = {"security": ["SASL_SSL"], "mechanism": ["scram-sha-512"]}
ALICE = {"FLEETSTAGE_KAFKA_USERNAME": "alice", "FLEETSTAGE_KAFKA_PASSWORD": SECRET}


def test_without_settings_the_clients_connect_in_plaintext() -> None:
    assert kafka_security({"prefix": ["p."]}, {}).client_options() == {}


def test_sasl_ssl_with_scram_credentials_from_the_environment() -> None:
    options = kafka_security(SCRAM, ALICE).client_options()
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "alice", "sasl_plain_password": SECRET}


def test_the_environment_alone_can_configure_security_and_a_password_file_works(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    env = {"FLEETSTAGE_KAFKA_SECURITY": "SASL_PLAINTEXT", "FLEETSTAGE_KAFKA_MECHANISM": "PLAIN",
           "FLEETSTAGE_KAFKA_USERNAME": "bob", "FLEETSTAGE_KAFKA_PASSWORD_FILE": str(secret_file)}
    assert kafka_security({}, env) == KafkaSecurity("SASL_PLAINTEXT", "PLAIN", "bob", SECRET)


def test_the_repr_and_description_never_show_the_password() -> None:
    security = kafka_security(SCRAM, ALICE)
    assert SECRET not in repr(security) and SECRET not in security.describe()
    assert security.describe() == "SASL_SSL, SCRAM-SHA-512 as user 'alice'"


@pytest.mark.parametrize(
    ("query", "env", "message"),
    [
        ({"security": ["SASL_SSL"]}, ALICE, "needs a SASL mechanism"),
        (SCRAM, {"FLEETSTAGE_KAFKA_PASSWORD": SECRET}, "needs FLEETSTAGE_KAFKA_USERNAME"),
        (SCRAM, {"FLEETSTAGE_KAFKA_USERNAME": "alice"}, "needs FLEETSTAGE_KAFKA_PASSWORD or FLEETSTAGE_KAFKA_PASSWORD_FILE"),
        ({"security": ["TLS"]}, {}, "'TLS' .* is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
        ({"mechanism": ["GSSAPI"]}, {}, "mechanism 'GSSAPI'"),
        ({}, ALICE, "given but Kafka security is PLAINTEXT: add security=SASL_SSL"),
        ({}, {"FLEETSTAGE_KAFKA_CA_FILE": __file__}, "FLEETSTAGE_KAFKA_CA_FILE set but Kafka security is PLAINTEXT"),
        ({"security": ["SSL"]}, {"FLEETSTAGE_KAFKA_CA_FILE": "/nonexistent/ca.pem"}, "FLEETSTAGE_KAFKA_CA_FILE=/nonexistent"),
        ({"security": ["SSL"]}, {"FLEETSTAGE_KAFKA_KEY_FILE": __file__}, "without FLEETSTAGE_KAFKA_CERT_FILE"),
        (SCRAM, {**ALICE, "FLEETSTAGE_KAFKA_PASSWORD_FILE": "/p"}, "set only one of them"),
        (SCRAM, {"FLEETSTAGE_KAFKA_USERNAME": "a", "FLEETSTAGE_KAFKA_PASSWORD_FILE": "/nonexistent"}, "cannot read"),
    ],
)
def test_incomplete_or_invalid_settings_name_what_to_fix(
    query: dict[str, list[str]], env: dict[str, str], message: str
) -> None:
    with pytest.raises(KafkaSecurityError, match=message) as raised:
        kafka_security(query, env)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("url", [f"kafka://k:9092?prefix=p.&password={SECRET}", f"kafka://alice:{SECRET}@k:9092"])
def test_secrets_in_the_url_are_refused_without_echoing_them(url: str) -> None:
    pytest.importorskip("aiokafka")
    with pytest.raises(ValueError, match="environment|FLEETSTAGE_KAFKA_PASSWORD") as raised:
        open_store(url, registry)
    assert SECRET not in str(raised.value)


async def test_open_store_gives_every_client_the_security_options(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("aiokafka")
    from projections.publisher import KafkaViewPublisher

    for name, value in ALICE.items():
        monkeypatch.setenv(name, value)
    store = open_store("kafka://k:9092?prefix=p.&security=SASL_PLAINTEXT&mechanism=SCRAM-SHA-256", registry)
    producer, consumer = store.transactional_producer("t"), store.consumer("g")  # type: ignore[attr-defined]
    try:
        for client in (producer.client, consumer._client):
            assert (client._security_protocol, client._sasl_mechanism, client._sasl_plain_password) == (
                "SASL_PLAINTEXT", "SCRAM-SHA-256", SECRET)
    finally:
        await producer.stop()
        await consumer.stop()
    assert KafkaViewPublisher.for_store(store)._client_options == store.client_options  # type: ignore[arg-type, attr-defined]
