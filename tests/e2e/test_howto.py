"""The how-to end to end: a hub and three agents as separate processes, every how-to command run as
`fleetstage ...`, every table, status document and member's configmap checked — on the embedded store
and on the real Kafka broker."""
import pytest

from demo.fleet import LocalFleet
from demo.howto import HowTo
from demo.manifests import MEMBERS
from demo.narrator import Narrator
from tests.e2e.support import BACKENDS, SCENARIO_TIMEOUT, store_url


@pytest.mark.timeout(SCENARIO_TIMEOUT)
@pytest.mark.parametrize("backend", BACKENDS)
def test_howto_rollout_and_rollback(backend, tmp_path, request):
    with LocalFleet(tmp_path, store_url(backend, tmp_path, request), MEMBERS, time_scale=60) as fleet:
        howto = HowTo(fleet, Narrator(plain=True))
        howto.play()
    # every step of the how-to was checked: tables, status document, member contents after each run
    assert howto.checks >= 30
