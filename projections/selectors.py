"""Label selectors of `list` queries: kubectl's syntax, or a mapping of labels that must all be equal.

Requirements are separated by commas (`env=canary,tier notin (web, db),!legacy`):
`key=value`, `key==value`, `key!=value` (also true when the key is absent), `key in (a,b)`,
`key notin (a,b)` (also true when the key is absent), `key` (the key exists) and `!key` (it does not).
Keys and values follow the label rules (resources.dns); anything else raises ValueError saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from resources.dns import label_value_problem, qualified_name_problem

Matcher = Callable[[Mapping[str, str]], bool]

FORMS = "key=value, key!=value, key in (a,b), key notin (a,b), key or !key, separated by commas"
_SET = re.compile(r"(?P<key>[^\s=!(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)")
_EQUALITY = re.compile(r"(?P<key>[^\s=!(),]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s=!(),]*)")
_EXISTS = re.compile(r"(?P<negated>!?)\s*(?P<key>[^\s=!(),]+)")


def _split(selector: str) -> list[str]:
    """The requirements of `selector`: split at commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(selector):
        if char == "(":
            depth += 1
            if depth > 1:
                raise ValueError('a value set cannot contain "("')
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError('")" without a "(" before it')
        elif char == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    if depth:
        raise ValueError('the value set is not closed: add ")"')
    return [*parts, selector[start:]]


def _checked(key: str, values: list[str]) -> None:
    problem = qualified_name_problem(key) or next(filter(None, (label_value_problem(key, v) for v in values)), None)
    if problem:
        raise ValueError(problem)


def _requirement(text: str) -> Matcher:
    text = text.strip()
    if not text:
        raise ValueError('an empty requirement (a stray ",")')
    if match := _SET.fullmatch(text):
        key, values = match["key"], [v.strip() for v in match["values"].split(",")]
        if values == [""]:
            raise ValueError(f'the value set of "{text}" must not be empty')
        _checked(key, values)
        allowed = frozenset(values)
        if match["op"] == "in":
            return lambda labels: key in labels and labels[key] in allowed
        return lambda labels: labels.get(key) not in allowed
    if match := _EQUALITY.fullmatch(text):
        key, value = match["key"], match["value"]
        _checked(key, [value])
        if match["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS.fullmatch(text):
        key = match["key"]
        _checked(key, [])
        if match["negated"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise ValueError(f'cannot read the requirement "{text}"')


def parse_selector(selector: str | Mapping[str, str] | None) -> Matcher:
    """A predicate on a document's labels. Raises ValueError naming the selector, the problem and the forms."""
    if selector is None:
        return lambda labels: True
    if isinstance(selector, Mapping):
        wanted = dict(selector)
        return lambda labels: all(labels.get(k) == v for k, v in wanted.items())
    try:
        requirements = [_requirement(part) for part in _split(selector)] if selector.strip() else []
    except ValueError as exc:
        raise ValueError(f'invalid label selector "{selector}": {exc} (use {FORMS})') from None
    return lambda labels: all(r(labels) for r in requirements)
