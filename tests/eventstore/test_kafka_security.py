"""Kafka security end to end: a store opened through `open_store` authenticates with SCRAM-SHA-512
against a broker with a SASL listener, with the credentials from the environment; a wrong password
gives a clear error; the password shows up in no log record, exception or process output.
"""
from __future__ import annotations

import logging
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventstore import EventStore
from eventstore.errors import EventStoreError
from eventstore.factory import open_store
from localkafka import BrokerError, JarsError, LocalKafka
from tests.cli.procs import BIN
from tests.conftest import _unavailable
from tests.eventstore.collect import WAIT, Collector
from tests.eventstore.ledger import audit_handler, deposits, read_all, streams
from tests.eventstore.payloads import registry

pytestmark = pytest.mark.kafka

USER, PASSWORD = "alice", "Pa55-w0rd-of-alice"


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module with a SASL_PLAINTEXT listener that knows alice (SCRAM-SHA-512)."""
    broker = LocalKafka(tmp_path_factory.mktemp("sasl-kafka"), scram_users={USER: PASSWORD})
    try:
        broker.start()
    except (BrokerError, JarsError) as exc:
        _unavailable(f"could not start a local Kafka broker with a SASL listener: {exc}")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def scram_url(sasl_broker: LocalKafka, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kafka:// URL of the SASL listener; alice's credentials are in the environment only."""
    monkeypatch.setenv("FLEETSTAGE_KAFKA_USERNAME", USER)
    monkeypatch.setenv("FLEETSTAGE_KAFKA_PASSWORD", PASSWORD)
    prefix = f"s{uuid.uuid4().hex[:8]}."
    return f"kafka://{sasl_broker.sasl_bootstrap}?prefix={prefix}&security=SASL_PLAINTEXT&mechanism=SCRAM-SHA-512"


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of the test, aiokafka's debug records included."""
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_scram_credentials_from_the_environment_append_read_and_subscribe(
    scram_url: str, all_logs: pytest.LogCaptureFixture
) -> None:
    assert PASSWORD not in scram_url
    inputs = deposits(6)
    async with open_store(scram_url, registry) as store:
        await streams(store)
        await store.append(inputs)
        assert sorted(e.id for e in await read_all(store, "ledger")) == sorted(e.id for e in inputs)
        seen = Collector()
        async with store.subscribe("auditor", "ledger", audit_handler(seen)) as sub:
            await sub.wait_caught_up(WAIT)
        assert sorted(seen.ids) == sorted(e.id for e in inputs)
        assert len(await read_all(store, "audit")) == len(inputs)
    assert all_logs.records, "no log records were captured: the password check below would prove nothing"
    assert PASSWORD not in all_logs.text


async def test_a_wrong_password_fails_clearly_without_showing_it(
    scram_url: str, monkeypatch: pytest.MonkeyPatch, all_logs: pytest.LogCaptureFixture
) -> None:
    wrong = "not-" + PASSWORD
    monkeypatch.setenv("FLEETSTAGE_KAFKA_PASSWORD", wrong)
    store: EventStore = open_store(scram_url, registry)
    with pytest.raises(EventStoreError) as raised:
        await store.open()
    message = str(raised.value)
    assert "SASL SCRAM-SHA-512 as user 'alice'" in message and "FLEETSTAGE_KAFKA_PASSWORD" in message
    assert "SaslAuthenticationFailed" in all_logs.text  # aiokafka logs why the broker refused
    shown = f"{message}\n{raised.value.__cause__!r}\n{store!r}\n{all_logs.text}"
    assert wrong not in shown and PASSWORD not in shown


def test_an_orchestrator_process_connects_with_credentials_from_the_environment(scram_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "orchestrator.log"
    with log_path.open("wb") as log:
        command = [str(BIN / "fleetstage"), "orchestrator", "--store", scram_url, "--log-level", "debug"]
        process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_output(log_path, "orchestrator serving", process)
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=WAIT)
    output = log_path.read_text()
    assert code == 0, output
    assert "aiokafka" in output and PASSWORD not in output


def _wait_for_output(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        assert process.poll() is None, f"the process exited with {process.returncode}:\n{path.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout:.0f}s:\n{path.read_text()}"
        time.sleep(0.1)  # pause between two looks at the output
