"""What the API needs from the read side (the projections), as a Protocol the hub is written against.

`projections.ProjectionRunner` provides it (and a selector parser, `projections.selectors`); tests may
pass any object with these methods. Documents are Kubernetes-shaped dicts (apiVersion, kind, metadata,
spec, status) as `kubectl get -o yaml` shows them.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Protocol

Document = dict[str, Any]
Offsets = Mapping[str, Mapping[int, int]]
"""{stream: {partition: next offset}}: a position in the log the read side must have reached."""


class ReadModel(Protocol):
    """(`list` comes last: its name would shadow the builtin in the annotations below it.)"""

    async def get(self, kind: str, name: str, namespace: str | None = None) -> Document | None:
        """The current document of an object, or None."""
        ...

    async def get_json(self, kind: str, name: str, namespace: str | None = None) -> bytes | None:
        """`get` as JSON bytes (keys sorted; what the API answers, without a round trip through dicts)."""
        ...

    def kinds(self) -> list[str]:
        """The kinds that have at least one document."""
        ...

    def positions(self) -> dict[str, dict[int, int]]:
        """{stream: {partition: next offset}} the documents reflect."""
        ...

    async def wait_for(self, offsets: Offsets, timeout: float | None = None) -> None:
        """Return once every event before `offsets` is reflected in the documents."""
        ...

    def watch(self, kind: str, namespace: str | None = None,
              name: str | None = None) -> AsyncIterator[tuple[str, Document]]:
        """("ADDED"|"MODIFIED"|"DELETED", document) for every later change of a matching object."""
        ...

    async def get_at(self, kind: str, name: str, at: datetime, namespace: str | None = None) -> Document | None:
        """The document as it was at time `at` (rebuilt from the log), or None if it did not exist."""
        ...

    async def audit(self, **filters: Any) -> list[Document]:
        """Audit entries (who did what, when) matching `filters` (placement, run, cluster, actor, since, until)."""
        ...

    async def list_json(self, kind: str, namespace: str | None = None,
                        label_selector: str | None = None) -> list[bytes]:
        """`list` as the JSON bytes of each document."""
        ...

    async def list(self, kind: str, namespace: str | None = None,
                   label_selector: str | None = None) -> list[Document]:
        """Every current object of `kind` (in `namespace` when given) whose labels match, ordered by name.
        A selector that cannot be parsed raises ValueError."""
        ...
