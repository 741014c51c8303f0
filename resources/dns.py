"""Kubernetes name rules (DNS-1123 subdomain/label, DNS-1035 label, path segment) and label/annotation keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


@dataclass(frozen=True)
class NameRule:
    """A rule an object name must follow, with the words that explain it to a user."""

    pattern: str
    max_length: int
    description: str

    def problem(self, name: str) -> str | None:
        """Why `name` breaks the rule (None when it is fine)."""
        if not name:
            return "must not be empty"
        if len(name) > self.max_length:
            return f'must be at most {self.max_length} characters, got {len(name)}: "{name}"'
        if not re.fullmatch(self.pattern, name):
            return f'must be {self.description}, got "{name}"'
        return None


DNS1123_SUBDOMAIN = NameRule(
    rf"{_LABEL}(\.{_LABEL})*",
    253,
    "a lowercase RFC 1123 subdomain "
    "(lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)",
)
DNS1123_LABEL = NameRule(
    _LABEL,
    63,
    "a lowercase RFC 1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
)
DNS1035_LABEL = NameRule(
    r"[a-z]([-a-z0-9]*[a-z0-9])?",
    63,
    "a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)",
)
PATH_SEGMENT = NameRule(r"(?!\.{1,2}$)[^/%]+", 253, "a path segment (not '.' or '..', without '/' or '%')")
UPDATE_RUN_NAME = NameRule(DNS1123_SUBDOMAIN.pattern, 63, DNS1123_SUBDOMAIN.description)


def qualified_name_problem(key: str) -> str | None:
    """Why `key` is not a valid label/annotation key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return f'key "{key}": the prefix before "/" must not be empty'
    if prefix and DNS1123_SUBDOMAIN.problem(prefix):
        return f'key "{key}": prefix "{prefix}" must be a lowercase DNS subdomain (e.g. example.com)'
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"key \"{key}\": the name part must be 1-63 characters of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_problem(key: str, value: str) -> str | None:
    """Why `value` is not a valid label value, or None."""
    if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
        return (
            f"label \"{key}\": value \"{value}\" must be at most 63 characters of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit (or empty)"
        )
    return None
