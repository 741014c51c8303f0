"""The how-to end to end: a hub and three agents as separate processes, every how-to command run as
`fleetstage ...`, every table, status document and member's configmap checked — on the embedded store
and on the real Kafka broker."""
import uuid

import pytest

from demo.fleet import LocalFleet
from demo.howto import HowTo
from demo.manifests import MEMBERS
from demo.narrator import Narrator


def store_url(backend: str, tmp_path, request) -> str:
    if backend == "embedded":
        return f"sqlite:{tmp_path / 'fleet.db'}"
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    return f"kafka://{bootstrap}?prefix=e2e-{uuid.uuid4().hex[:8]}."


@pytest.mark.timeout(400)
@pytest.mark.parametrize("backend", ["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def test_howto_rollout_and_rollback(backend, tmp_path, request):
    with LocalFleet(tmp_path, store_url(backend, tmp_path, request), MEMBERS, time_scale=60) as fleet:
        howto = HowTo(fleet, Narrator(plain=True))
        howto.play()
    # every step of the how-to was checked: tables, status document, member contents after each run
    assert howto.checks >= 30
