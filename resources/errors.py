"""Every error the resources package raises: bad manifests, unknown kinds, rejected updates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a manifest: the dotted field path (e.g. `spec.stages[1].name`) and what to do."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ResourceError(ValueError):
    """Base class of every error of the resources package."""


class ManifestError(ResourceError):
    """A manifest that cannot be accepted.

    The message names the document (1-based; `item` is the 0-based index in a `List`), the kind and name when
    known, and each offending field with the fix, e.g.
    `document 1: ClusterStagedUpdateStrategy "example-strategy": spec.stages[1].name: must match ...`.
    """

    def __init__(
        self,
        problems: Sequence[FieldProblem],
        *,
        document: int | None = None,
        item: int | None = None,
        kind: str | None = None,
        name: str | None = None,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problems = list(problems)
        self.document = document
        self.item = item
        self.kind = kind
        self.name = name
        self.source = source
        self.line = line
        self.column = column
        super().__init__(self._render())

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.problems]

    def where(self) -> str:
        """`file.yaml: document 2 items[1]: Kind "name"` (the parts that are known)."""
        parts = []
        if self.source:
            parts.append(self.source)
        if self.document is not None:
            doc = f"document {self.document}"
            if self.item is not None:
                doc += f" items[{self.item}]"
            parts.append(doc)
        if self.kind:
            parts.append(f'{self.kind} "{self.name}"' if self.name else self.kind)
        return ": ".join(parts)

    def _render(self) -> str:
        where = self.where()
        if len(self.problems) == 1:
            return f"{where}: {self.problems[0]}" if where else str(self.problems[0])
        lines = [f"{where}: {len(self.problems)} problems:" if where else f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class UnknownKindError(ResourceError):
    """A kind name (as typed on the command line) that matches no known kind."""

    def __init__(self, word: str, suggestions: Sequence[str]) -> None:
        self.word = word
        self.suggestions = list(suggestions)
        hint = ""
        if self.suggestions:
            hint = "; did you mean " + " or ".join(f'"{s}"' for s in self.suggestions) + "?"
        super().__init__(f'the server doesn\'t have a resource type "{word}"{hint}')


class InvalidUpdateError(ResourceError):
    """An update of an existing object that the API rejects (immutable field, forbidden transition)."""

    def __init__(self, kind: str, name: str, path: str, message: str) -> None:
        self.kind = kind
        self.name = name
        self.path = path
        super().__init__(f'{kind} "{name}" is invalid: {path}: {message}')
