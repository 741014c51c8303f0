"""The event catalogue: every type is registered once, payloads are strict, and errors name the field."""
import pytest

import fleetevents
from eventstore import EventValidationError
from eventstore.errors import DecodeError
from fleetevents.agents import ClusterUpdated
from fleetevents.runs import StageStarted


def test_every_type_is_namespaced_and_unique():
    types = [t for t, _ in fleetevents.registry.items()]
    assert len(types) == len(set(types))
    assert all(t.startswith("fleetstage.") for t in types)


def test_payload_round_trips_through_json():
    data = ClusterUpdated(run="r", placement="p", stage="s", cluster="c", resource_snapshot_index=1,
                          succeeded=False, message="configmap test-namespace/test-cm: disk full", attempts=3)
    body = fleetevents.registry.encode(data)
    assert fleetevents.registry.decode("fleetstage.cluster.updated", body) == data


def test_decode_names_the_bad_field():
    with pytest.raises(DecodeError, match="'stage'"):
        fleetevents.registry.decode("fleetstage.stage.started", b'{"run": "r"}')


def test_unknown_type_is_a_decode_error():
    with pytest.raises(DecodeError, match="unknown event type"):
        fleetevents.registry.decode("fleetstage.nope", b"{}")


def test_check_rejects_a_payload_of_the_wrong_model():
    with pytest.raises(EventValidationError, match="must be a ClusterUpdated"):
        fleetevents.registry.check("fleetstage.cluster.updated", StageStarted(run="r", stage="s"))


def test_check_rejects_an_invalid_constructed_payload():
    bad = StageStarted.model_construct(run="r", stage=3)
    with pytest.raises(EventValidationError) as info:
        fleetevents.registry.check("fleetstage.stage.started", bad)
    assert info.value.field == "stage"
