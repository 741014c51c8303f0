"""Kafka client security (TLS, SASL PLAIN / SCRAM) of a `kafka://` store URL, read from its query and the environment.

Non-secret settings come from the URL query or the environment (the URL wins):
- `security=` / FLEETSTAGE_KAFKA_SECURITY     PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL
- `mechanism=` / FLEETSTAGE_KAFKA_MECHANISM   PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL only)
Credentials and files come ONLY from the environment (a URL shows in process lists and logs, so a
secret in it is refused):
- FLEETSTAGE_KAFKA_USERNAME, and FLEETSTAGE_KAFKA_PASSWORD or FLEETSTAGE_KAFKA_PASSWORD_FILE (SASL)
- FLEETSTAGE_KAFKA_CA_FILE (TLS; without it the system CAs), FLEETSTAGE_KAFKA_CERT_FILE and
  FLEETSTAGE_KAFKA_KEY_FILE (client certificate for mutual TLS)
`KafkaSecurity` never shows the password in its repr; `client_options()` gives the aiokafka keyword
arguments every client of the store gets.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventstore.errors import KafkaSecurityError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
URL_PARAMETERS = {"security": "FLEETSTAGE_KAFKA_SECURITY", "mechanism": "FLEETSTAGE_KAFKA_MECHANISM"}
USERNAME = "FLEETSTAGE_KAFKA_USERNAME"
PASSWORD = "FLEETSTAGE_KAFKA_PASSWORD"
PASSWORD_FILE = "FLEETSTAGE_KAFKA_PASSWORD_FILE"
CA_FILE = "FLEETSTAGE_KAFKA_CA_FILE"
CERT_FILE = "FLEETSTAGE_KAFKA_CERT_FILE"
KEY_FILE = "FLEETSTAGE_KAFKA_KEY_FILE"
CREDENTIAL_VARIABLES = ", ".join((USERNAME, f"{PASSWORD} or {PASSWORD_FILE}", CA_FILE, CERT_FILE, KEY_FILE))
"""Where credentials and certificates come from (never from the URL)."""


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """How the Kafka clients connect and authenticate (the repr leaves the password out)."""

    protocol: str = "PLAINTEXT"
    mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol.endswith("SSL")

    def describe(self) -> str:
        """A one-line, secret-free summary, e.g. "SASL_SSL, SCRAM-SHA-512 as user 'alice'"."""
        return f"{self.protocol}, {self.mechanism} as user {self.username!r}" if self.sasl else self.protocol

    def client_options(self) -> dict[str, Any]:
        """The aiokafka keyword arguments of every producer, consumer and admin client (may hold the password)."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.tls:
            from aiokafka.helpers import create_ssl_context  # aiokafka is only imported when Kafka is used

            options["ssl_context"] = create_ssl_context(
                cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file
            )
        if self.sasl:
            options |= {"sasl_mechanism": self.mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password}
        return options


def kafka_security(query: Mapping[str, list[str]], env: Mapping[str, str] | None = None) -> KafkaSecurity:
    """The security of a kafka:// URL with parsed `query` (its `security` and `mechanism`; the factory checks
    the other parameters), completed from `env` (default: os.environ)."""
    env = os.environ if env is None else env
    protocol = _choice(query, env, "security", PROTOCOLS) or "PLAINTEXT"
    mechanism = _choice(query, env, "mechanism", MECHANISMS)
    security = KafkaSecurity(
        protocol=protocol,
        mechanism=mechanism,
        username=env.get(USERNAME) or None,
        password=_password(env),
        ca_file=_file(env, CA_FILE),
        cert_file=_file(env, CERT_FILE),
        key_file=_file(env, KEY_FILE),
    )
    _check(security)
    return security


def failure_hint(client_options: Mapping[str, Any]) -> str:
    """What to check when clients with `client_options` cannot connect (a wrong password looks like no broker)."""
    if "sasl_mechanism" not in client_options:
        return ""
    return (f"; the brokers also refuse wrong credentials (SASL {client_options['sasl_mechanism']} as user "
            f"{client_options.get('sasl_plain_username')!r}): check {USERNAME} and {PASSWORD} or {PASSWORD_FILE}")


def _choice(query: Mapping[str, list[str]], env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    values = query.get(name)
    given = values[-1] if values else env.get(URL_PARAMETERS[name])
    if not given:
        return None
    if given.upper() not in allowed:
        raise KafkaSecurityError(
            f"Kafka {name} {given!r} (URL `{name}=` or {URL_PARAMETERS[name]}) is not one of {', '.join(allowed)}"
        )
    return given.upper()


def _password(env: Mapping[str, str]) -> str | None:
    password, path = env.get(PASSWORD), env.get(PASSWORD_FILE)
    if password and path:
        raise KafkaSecurityError(f"both {PASSWORD} and {PASSWORD_FILE} are set: set only one of them")
    if not path:
        return password or None
    try:
        return Path(path).read_text().rstrip("\r\n") or None
    except OSError as exc:
        raise KafkaSecurityError(f"cannot read {PASSWORD_FILE}={path}: {exc.strerror}") from None


def _file(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise KafkaSecurityError(f"{name}={value} is not a readable file: point it at a PEM file or unset it")
    return path


def _check(security: KafkaSecurity) -> None:
    if security.sasl:
        missing = [name for name, value in (
            (f"a SASL mechanism (URL `mechanism=` or {URL_PARAMETERS['mechanism']})", security.mechanism),
            (USERNAME, security.username),
            (f"{PASSWORD} or {PASSWORD_FILE}", security.password),
        ) if not value]
        if missing:
            raise KafkaSecurityError(f"Kafka security {security.protocol} needs {', '.join(missing)}")
    else:
        given = [name for name, value in (
            (f"mechanism {security.mechanism}", security.mechanism), (USERNAME, security.username),
            (f"{PASSWORD}/{PASSWORD_FILE}", security.password),
        ) if value]
        if given:
            raise KafkaSecurityError(
                f"{', '.join(given)} given but Kafka security is {security.protocol}: add security=SASL_SSL "
                f"(or SASL_PLAINTEXT) to the URL or set {URL_PARAMETERS['security']}"
            )
    if not security.tls:
        files = [name for name, value in ((CA_FILE, security.ca_file), (CERT_FILE, security.cert_file),
                                          (KEY_FILE, security.key_file)) if value]
        if files:
            raise KafkaSecurityError(
                f"{', '.join(files)} set but Kafka security is {security.protocol}: use security=SSL or SASL_SSL"
            )
    if security.key_file and not security.cert_file:
        raise KafkaSecurityError(f"{KEY_FILE} is set without {CERT_FILE}: mutual TLS needs the client certificate too")
