"""Sending a corpus manifest straight to the hub API, past the CLI's own validation.

The CLI checks manifests before it sends them, so the CLI cases never show whether the hub itself
refuses a bad object; any other client (curl, a script, an older CLI) relies on the hub alone.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from cli.client import kind_path
from resources.errors import ManifestError
from resources.kinds import lookup_kind, split_api_version
from resources.manifests import load_documents


def single_object(manifest: str) -> dict[str, Any] | None:
    """The one object of `manifest` when it has a kind the hub serves; None when it cannot be sent alone
    (YAML that is not JSON-able or is wrong, several documents, no object, or no URL for its kind)."""
    try:
        documents = [d for _, d in load_documents(manifest, source="corpus") if d is not None]
    except ManifestError:
        return None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return None
    doc = documents[0]
    if not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
        return None
    if lookup_kind(split_api_version(doc["apiVersion"])[0], doc["kind"]) is None:
        return None
    return doc


FIELD_PATH = re.compile(r"[a-z]\w*(?:\.\w+|\[\d+\])+")


def field_paths(fragments: Sequence[str]) -> list[str]:
    """The expected fragments that are field paths (`spec.stages[0].name`): the hub must name them too."""
    return [f for f in fragments if FIELD_PATH.fullmatch(f)]


def put(server: str, doc: dict[str, Any]) -> httpx.Response:
    """PUT `doc` to its object path (POST to the collection when it has no usable name)."""
    info = lookup_kind(split_api_version(doc["apiVersion"])[0], doc["kind"])
    assert info is not None
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    name = meta.get("name") if isinstance(meta.get("name"), str) and meta.get("name") else None
    path = kind_path(info, namespace, name)
    return httpx.request("PUT" if name else "POST", server + path, json=doc, timeout=30)
