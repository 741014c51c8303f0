"""docs/events.md documents every event type of the catalogue (and nothing that no longer exists)."""
import re
from pathlib import Path

import fleetevents

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_registered_type_is_documented_and_every_documented_type_exists() -> None:
    text = DOC.read_text()
    registered = {t for t, _ in fleetevents.registry.items()}
    documented = set(re.findall(r"`(fleetstage\.[a-z.]+)`", text)) - {"fleetstage.fleet", "fleetstage.placements",
                                                                        "fleetstage.agents", "fleetstage.heartbeats"}
    assert registered - documented == set()
    assert documented - registered == set()
