"""JSON Schemas of every event payload: `python -m fleetevents.schemas [--check]` writes (or checks)
docs/schemas/events/<type>.json, one file per registered event type."""
import sys

from fleetevents import registry
from resources.schemas import DEFAULT_DIR, main

EVENT_SCHEMA_DIR = DEFAULT_DIR / "events"
EVENT_MODELS = dict(sorted(registry.items()))

if __name__ == "__main__":
    sys.exit(main(models=EVENT_MODELS, default_dir=EVENT_SCHEMA_DIR, command="python -m fleetevents.schemas"))
