"""Where localkafka finds the pom and keeps its cache (overridable through environment variables)."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def pom_path() -> Path:
    """The pom that lists the broker jars: $LOCALKAFKA_POM or deploy/kafka/pom.xml of this checkout."""
    return Path(os.environ.get("LOCALKAFKA_POM", REPO_ROOT / "deploy" / "kafka" / "pom.xml"))


def cache_home() -> Path:
    """The cache directory: $LOCALKAFKA_HOME or .cache/kafka of this checkout (git-ignored)."""
    return Path(os.environ.get("LOCALKAFKA_HOME", REPO_ROOT / ".cache" / "kafka"))
