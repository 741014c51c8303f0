"""The corpus file format (see README.md): one YAML file per case, plus `world.yaml`, read strictly.

A typo in a corpus file is itself reported with its field path, so a broken case never passes silently.
"""
from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
WORLD_FILE = HERE / "world.yaml"
_REPEAT = re.compile(r"\$\{repeat:(.):(\d+)\}")


def expand(text: str) -> str:
    """`${repeat:C:N}` becomes N copies of the character C (for oversized objects)."""
    return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(Strict):
    """One `fleetstage` command. With `until`, it is repeated until it succeeds and its stdout holds
    every fragment (waiting for the hub to get somewhere), for at most `timeout` seconds."""

    args: list[str]
    stdin: str = ""
    env: dict[str, str] = Field(default_factory=dict)
    until: list[str] = Field(default_factory=list)
    timeout: float = 20.0

    def expanded_args(self) -> list[str]:
        return [expand(a) for a in self.args]

    def expanded_stdin(self) -> str:
        return expand(self.stdin)

    def shown(self) -> str:
        return "fleetstage " + " ".join(self.args)


class LogChange(str, enum.Enum):
    """What the bad command may leave in the event log (the heartbeats stream aside)."""

    UNCHANGED = "unchanged"  # nothing at all: every stream's end offsets are as before
    REJECTED = "rejected"  # only the command and the orchestrator's rejection of it; no domain event
    IGNORED = "ignored"  # nothing, or a command the orchestrator answered "unchanged"; no domain event
    ACCEPTED = "accepted"  # the input is recorded (it fails later, see `then`)


class Expect(Strict):
    exit: int
    stderr: list[str] = Field(default_factory=list)
    stdout: list[str] = Field(default_factory=list)
    log: LogChange
    then: Step | None = None


class Case(Strict):
    about: str
    known_issue: str = ""  # set while another part of fleetstage gets this case wrong: the case is an
    # expected failure (strict: once fixed it fails as XPASS, and this line is to be removed)
    setup: list[Step] = Field(default_factory=list)
    run: Step
    expect: Expect


class Member(Strict):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)


class World(Strict):
    """What every case may rely on: member clusters (agents) and objects made before the cases run."""

    about: str
    members: list[Member] = Field(default_factory=list)
    steps: list[Step]


class CorpusFileError(ValueError):
    """A corpus file that does not follow the format."""


M = TypeVar("M", bound=Strict)


def _load(path: Path, model: type[M]) -> M:
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CorpusFileError(f"{path.name} does not follow the corpus format (tests/corpus/README.md): {exc}") from None


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES_DIR.glob("*.yaml"))


def load_case(name: str) -> Case:
    return _load(CASES_DIR / f"{name}.yaml", Case)


def load_world() -> World:
    return _load(WORLD_FILE, World)
