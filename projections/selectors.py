"""Label selectors of `list` queries: kubectl's equality-based syntax (`a=b,c!=d,e,!f`) or a mapping."""

from __future__ import annotations

from collections.abc import Callable, Mapping

Matcher = Callable[[Mapping[str, str]], bool]


def _requirement(text: str) -> Matcher:
    text = text.strip()
    if "!=" in text:
        key, value = (part.strip() for part in text.split("!=", 1))
        return lambda labels: labels.get(key) != value
    if "=" in text:
        key, value = (part.strip() for part in text.replace("==", "=").split("=", 1))
        return lambda labels: labels.get(key) == value
    if text.startswith("!"):
        key = text[1:].strip()
        return lambda labels: key not in labels
    return lambda labels: text in labels


def parse_selector(selector: str | Mapping[str, str] | None) -> Matcher:
    """A predicate on a document's labels. Raises ValueError naming the accepted forms."""
    if selector is None:
        return lambda labels: True
    if isinstance(selector, Mapping):
        wanted = dict(selector)
        return lambda labels: all(labels.get(k) == v for k, v in wanted.items())
    parts = [p for p in selector.split(",") if p.strip()]
    if any(not p.strip().lstrip("!").split("=")[0].rstrip("!").strip() for p in parts):
        raise ValueError(f"invalid label selector {selector!r}: use comma-separated key=value, key!=value, key or !key")
    requirements = [_requirement(p) for p in parts]
    return lambda labels: all(r(labels) for r in requirements)
