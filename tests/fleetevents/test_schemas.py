"""The committed JSON Schemas of the event payloads (docs/schemas/events) are what the catalogue generates."""
import json

from fleetevents.schemas import EVENT_MODELS, EVENT_SCHEMA_DIR
from resources.schemas import render_schemas, stale_schemas


def test_committed_event_schemas_are_up_to_date():
    assert stale_schemas(EVENT_MODELS, EVENT_SCHEMA_DIR) == [], (
        "run `python -m fleetevents.schemas` and commit docs/schemas/events"
    )


def test_every_event_type_has_a_strict_schema():
    schemas = render_schemas(EVENT_MODELS)
    assert set(schemas) == {f"{t}.json" for t in EVENT_MODELS}
    update = json.loads(schemas["fleetstage.cluster.updated.json"])
    assert update["additionalProperties"] is False
    assert {"run", "placement", "cluster", "succeeded"} <= set(update["required"])
