"""Entry point of `fleetstage demo`: set up a fleet in a temporary directory, play the how-to, report."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from demo.errors import ScenarioFailed
from demo.fleet import LocalFleet
from demo.howto import HowTo
from demo.manifests import MEMBERS
from demo.narrator import Narrator


def main(time_scale: float = 30.0, plain: bool = False, store: str | None = None,
         workdir: Path | None = None) -> int:
    """Run the narrated how-to; 0 when every outcome matched it, 1 otherwise."""
    narrator = Narrator(plain=plain)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fleetstage-demo-") as tmp:
        root = workdir or Path(tmp)
        store_url = store or f"sqlite:{root / 'fleet.db'}"
        narrator.section("fleetstage demo: roll out and roll back changes in stage")
        narrator.say(f"Store: {store_url}; time runs {time_scale:g}x faster (--time-scale); work dir: {root}")
        try:
            with LocalFleet(root, store_url, MEMBERS, time_scale=time_scale) as fleet:
                narrator.say(f"Hub on {fleet.server} with member agents member1, member2, member3 (directory targets).")
                howto = HowTo(fleet, narrator)
                howto.play()
        except ScenarioFailed as exc:
            narrator.fail(str(exc))
            return 1
        narrator.section(f"Done: {howto.checks} checks passed in {time.monotonic() - started:.1f}s")
    return 0
