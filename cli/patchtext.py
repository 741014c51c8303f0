"""Patch text as kubectl accepts it, and as the how-to's shell commands actually deliver it.

- `-p` / `--patch-file` content is YAML (so JSON too, and the how-to's `approval.json`, whose content
  `"status": {...}` has no outer braces, is a YAML mapping).
- The how-to writes `-p {"status":{"conditions":[{"type":"Approved",...}]}}` unquoted: the shell drops
  the double quotes and brace-expands the inner object into one argument per key
  (`{status:{conditions:[type:Approved]}}`, `{status:{conditions:[status:True]}}`, ...).
  `rejoin_brace_expansion` undoes the expansion and `parse_bare` reads the quote-less flow syntax.
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from cli.errors import CliError
from resources.errors import ManifestError
from resources.manifests import load_documents

_INT = re.compile(r"-?[0-9]+")
_OPENERS = "[{,:"
_CLOSERS = "]},"


def rejoin_brace_expansion(parts: Sequence[str]) -> str:
    """The one word the shell brace-expanded into `parts` (`p{a,b}s` -> `pas pbs` -> `p{a,b}s`)."""
    if len(parts) == 1:
        return parts[0]
    prefix = os.path.commonprefix(list(parts))
    suffix = os.path.commonprefix([p[::-1] for p in parts])[::-1]
    shortest = min(len(p) for p in parts)
    while prefix and prefix[-1] not in _OPENERS:
        prefix = prefix[:-1]
    while suffix and suffix[0] not in _CLOSERS:
        suffix = suffix[1:]
    if len(prefix) + len(suffix) > shortest:
        raise CliError(f"error: cannot make one patch of the arguments {' '.join(parts)}; "
                       "quote the patch: -p '{...}'")
    middles = [p[len(prefix):len(p) - len(suffix)] for p in parts]
    return prefix + "{" + ",".join(middles) + "}" + suffix


class _BareReader:
    """Recursive-descent reader of flow syntax whose quotes the shell removed: `{a:{b:[1,x]}}`."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.pos = 0

    def fail(self, expected: str) -> CliError:
        return CliError(f"error: cannot parse the patch {self.text!r}: expected {expected} at character {self.pos + 1}")

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"{char!r}")
        self.pos += 1

    def value(self) -> Any:
        char = self.peek()
        if char == "{":
            return self.mapping()
        if char == "[":
            return self.sequence()
        return self.scalar(",}]")

    def mapping(self) -> dict[str, Any]:
        self.expect("{")
        result: dict[str, Any] = {}
        while self.peek() != "}":
            key = self.scalar(":", typed=False)
            self.expect(":")
            result[str(key)] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("',' or '}'")
        self.pos += 1
        return result

    def sequence(self) -> list[Any]:
        self.expect("[")
        result: list[Any] = []
        while self.peek() != "]":
            result.append(self.value())
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise self.fail("',' or ']'")
        self.pos += 1
        return result

    def scalar(self, stops: str, *, typed: bool = True) -> Any:
        char = self.peek()
        if char in ("'", '"'):
            end = self.text.find(char, self.pos + 1)
            if end < 0:
                raise self.fail(f"a closing {char}")
            text, self.pos = self.text[self.pos + 1:end], end + 1
            return text
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        text = self.text[start:self.pos].strip()
        if not typed:
            return text
        if _INT.fullmatch(text):
            return int(text)
        return {"null": None, "true": True, "false": False}.get(text, text)


def parse_bare(text: str) -> Any:
    reader = _BareReader(text)
    result = reader.value()
    if reader.peek():
        raise reader.fail("the end of the patch")
    return result


def _has_bare_pairs(value: Any) -> bool:
    """True when YAML read `a:b` (no space) as a key: the text was quote-less flow syntax."""
    if isinstance(value, dict):
        return any((":" in str(k) and v is None) or _has_bare_pairs(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bare_pairs(v) for v in value)
    return False


def parse_patch(text: str) -> dict[str, Any]:
    """A merge patch from `-p` text or a patch file (YAML, JSON, or the shell-mangled how-to form)."""
    try:
        documents = [doc for _, doc in load_documents(text)]
    except ManifestError:
        documents = []
    if len(documents) == 1 and isinstance(documents[0], dict) and not _has_bare_pairs(documents[0]):
        return documents[0]
    patch = parse_bare(text)
    if not isinstance(patch, dict):
        raise CliError(f"error: the patch must be an object such as '{{\"status\": {{...}}}}', got {text!r}")
    return patch
