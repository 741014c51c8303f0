"""Reading `-f FILE|-` manifests on the client: validation with the field path, and the default namespace."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cli.errors import CliError
from resources.errors import ManifestError
from resources.kinds import KindInfo, lookup_kind, split_api_version
from resources.manifests import Resource, load_documents, parse_object


def read_source(filename: str) -> tuple[str, str]:
    """(text, source name as kubectl names it: the path, or STDIN for `-`)."""
    if filename == "-":
        return sys.stdin.read(), "STDIN"
    path = Path(filename)
    try:
        return path.read_text(encoding="utf-8"), filename
    except OSError as exc:
        raise CliError(f'error: the path "{filename}" cannot be read: {exc.strerror}') from None


def _with_namespace(doc: Any, namespace: str | None) -> Any:
    """`-n NS` (or `default`) for a namespaced object that names none; a different one is an error."""
    if not isinstance(doc, dict) or not isinstance(doc.get("apiVersion"), str) or not isinstance(doc.get("kind"), str):
        return doc
    info = lookup_kind(split_api_version(doc["apiVersion"])[0], doc["kind"])
    meta = doc.get("metadata")
    if info is None or not info.namespaced or not isinstance(meta, dict):
        return doc
    given = meta.get("namespace")
    if given and namespace and given != namespace:
        raise CliError(
            f'error: the namespace from the provided object "{given}" does not match the namespace "{namespace}". '
            "You must pass '--namespace=" + given + "' to perform this operation."
        )
    meta.setdefault("namespace", namespace or "default")
    return doc


def parse_file(text: str, source: str, namespace: str | None, *, verb: str = "apply") -> list[Resource]:
    """Every object of a multi-document manifest text, validated (a ManifestError names the field path);
    `verb` (apply, create, delete) names the command when the manifest holds no object."""
    objects: list[Resource] = []
    try:
        for number, doc in load_documents(text, source=source):
            if doc is None:
                continue
            if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                for i, item in enumerate(doc["items"]):
                    objects.append(parse_object(_with_namespace(item, namespace), document=number, item=i,
                                                source=source, writable_only=True))
            else:
                objects.append(parse_object(_with_namespace(doc, namespace), document=number, source=source,
                                            writable_only=True))
    except ManifestError as exc:
        raise CliError(f"error: {exc}") from None
    if not objects:
        raise CliError(f'error: no objects passed to {verb} (the manifest "{source}" is empty)')
    return objects


def kind_info_of(obj: Resource) -> KindInfo:
    """The kind table entry of an object; for kinds the table lacks, one built from the manifest."""
    info = obj.kind_info
    if info is not None:
        return info
    return KindInfo(obj.kind, obj.group, (obj.version,), obj.kind.lower() + "s",
                    namespaced=obj.namespace is not None)
