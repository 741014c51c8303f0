"""Collects the broker's jars with Maven into a cache keyed by the pom's hash (a pom change refetches)."""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from localkafka.paths import cache_home, pom_path

STAMP = ".pom-sha256"


class JarsError(RuntimeError):
    """The jars could not be collected (no Maven, no network, a broken pom)."""


def _digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def _is_current(libs: Path, digest: str) -> bool:
    stamp = libs / STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest


def collect_jars(pom: Path | None = None, libs: Path | None = None) -> Path:
    """The directory of the broker's jars, running Maven only when the cache misses.

    $LOCALKAFKA_LIBS, when set, names a ready directory of jars (e.g. the libs/ of a Kafka
    distribution) and is returned as is.
    """
    ready = os.environ.get("LOCALKAFKA_LIBS")
    if ready:
        if not any(Path(ready).glob("kafka_2.13-*.jar")):
            raise JarsError(f"LOCALKAFKA_LIBS={ready} holds no kafka_2.13-*.jar: point it at a Kafka libs/ directory")
        return Path(ready)
    pom = pom or pom_path()
    libs = libs or cache_home() / "libs"
    if not pom.is_file():
        raise JarsError(f"no pom at {pom}: set LOCALKAFKA_POM to the pom.xml that lists the Kafka jars")
    digest = _digest(pom)
    if _is_current(libs, digest):
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / "libs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be filling the cache right now
        if not _is_current(libs, digest):
            _fetch(pom, libs, digest)
    return libs


def _fetch(pom: Path, libs: Path, digest: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JarsError("Maven (mvn) is not on PATH: install it (apt-get install maven) or set LOCALKAFKA_LIBS")
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=libs.parent))
    cmd = [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
           "-DincludeScope=runtime", f"-DoutputDirectory={staging}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = (done.stdout + done.stderr)[-3000:]
        raise JarsError(f"`{' '.join(cmd)}` failed with exit code {done.returncode}:\n{tail}")
    (staging / STAMP).write_text(digest + "\n")
    if libs.exists():
        shutil.rmtree(libs)
    staging.rename(libs)
