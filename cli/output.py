"""Object output as kubectl prints it: `-o yaml` (block style, double quotes), `-o json`, `-o name`."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml


class _KubectlDumper(yaml.SafeDumper):
    """PyYAML tuned to kubectl's look: sequences at the key's indent, `"True"` and `""` double-quoted,
    multi-line strings as `|` blocks, no line folding."""

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.endswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_KubectlDumper.add_representer(str, _represent_str)


def to_yaml(document: Any) -> str:
    """A document (or list) as kubectl's `-o yaml` prints it: keys sorted, as Go's encoder does."""
    return yaml.dump(document, Dumper=_KubectlDumper, default_flow_style=False, sort_keys=True,
                     allow_unicode=True, width=1 << 30)


def to_json(document: Any) -> str:
    """kubectl's `-o json`: 4-space indent, a trailing newline."""
    return json.dumps(document, indent=4, ensure_ascii=False) + "\n"


def as_list(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several objects as kubectl prints them: a `v1 List`."""
    return {"apiVersion": "v1", "items": list(documents), "kind": "List", "metadata": {"resourceVersion": ""}}


def render_documents(documents: Sequence[Mapping[str, Any]], fmt: str, *, single: bool) -> str:
    """`-o yaml|json` of one object (`single`) or of a list."""
    payload: Any = documents[0] if single else as_list(documents)
    return to_yaml(payload) if fmt == "yaml" else to_json(payload)
