"""A tiny in-memory Kubernetes API server behind an httpx2 MockTransport, for KubernetesTarget tests.

It serves what the target uses: get, list (all namespaces, label selector `k=v,...`), create, delete,
server-side apply (as an upsert that bumps `metadata.generation` when the spec changes) and JSON merge
patch, for core/v1 and apps/v1 kinds. Deployments become available only when `make_available` is called.
"""
from __future__ import annotations

import json
from typing import Any

import httpx2
from lightkube import AsyncClient, KubeConfig

KINDS = {("api/v1", "namespaces"): "Namespace", ("api/v1", "configmaps"): "ConfigMap",
         ("apis/apps/v1", "deployments"): "Deployment"}
Key = tuple[str, str, str | None, str]  # group/version prefix, plural, namespace, name


def _status(code: int, reason: str, message: str) -> httpx2.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message,
            "code": code}
    return httpx2.Response(code, json=body)


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class FakeApiServer:
    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.writes = 0

    def client(self) -> AsyncClient:
        config = KubeConfig.from_dict({
            "clusters": [{"name": "fake", "cluster": {"server": "http://fake-api"}}],
            "users": [{"name": "tester", "user": {"token": "t"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester"}}],
            "current-context": "fake",
        })
        return AsyncClient(config, transport=httpx2.MockTransport(self.handle))

    def make_available(self) -> None:
        for key, obj in self.objects.items():
            if key[1] == "deployments":
                replicas = obj.get("spec", {}).get("replicas", 1)
                obj["status"] = {"observedGeneration": obj["metadata"]["generation"], "availableReplicas": replicas}

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        parts = request.url.path.strip("/").split("/")
        prefix_len = 2 if parts[0] == "api" else 3
        prefix, rest = "/".join(parts[:prefix_len]), parts[prefix_len:]
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, plural, name = rest[1], rest[2], rest[3] if len(rest) > 3 else None
        else:
            namespace, plural, name = None, rest[0], rest[1] if len(rest) > 1 else None
        if (prefix, plural) not in KINDS:
            return _status(404, "NotFound", f"the server could not find the requested resource {request.url.path}")
        if name is None and request.method == "GET":
            return self._list(prefix, plural, namespace, request.url.params.get("labelSelector", ""))
        if name is None and request.method == "POST":
            obj = json.loads(request.content)
            name = obj["metadata"]["name"]
            if (prefix, plural, namespace, name) in self.objects:
                return _status(409, "AlreadyExists", f"{plural} {name!r} already exists")
            return self._store((prefix, plural, namespace, name), obj)
        key = (prefix, plural, namespace, name)
        found = self.objects.get(key)
        if request.method == "GET":
            if not found:
                return _status(404, "NotFound", f'{plural} "{name}" not found')
            return httpx2.Response(200, json=found)
        if request.method == "DELETE":
            if not found:
                return _status(404, "NotFound", f'{plural} "{name}" not found')
            del self.objects[key]
            self.writes += 1
            return httpx2.Response(200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"})
        if request.method == "PATCH":
            patch = json.loads(request.content)
            if request.headers["content-type"] == "application/merge-patch+json":
                if not found:
                    return _status(404, "NotFound", f'{plural} "{name}" not found')
                return self._store(key, _merge(found, patch))
            return self._store(key, _merge(found or {}, patch))
        return _status(405, "MethodNotAllowed", request.method)

    def _store(self, key: Key, obj: dict[str, Any]) -> httpx2.Response:
        before = self.objects.get(key)
        metadata = obj.setdefault("metadata", {})
        metadata["name"] = key[3]
        if key[2]:
            metadata["namespace"] = key[2]
        spec_changed = before is None or before.get("spec") != obj.get("spec")
        metadata["generation"] = (before or {}).get("metadata", {}).get("generation", 0) + (1 if spec_changed else 0)
        obj.setdefault("kind", KINDS[key[0], key[1]])
        obj.setdefault("apiVersion", key[0].removeprefix("api/").removeprefix("apis/"))
        self.objects[key] = obj
        self.writes += 1
        return httpx2.Response(200, json=obj)

    def _list(self, prefix: str, plural: str, namespace: str | None, selector: str) -> httpx2.Response:
        wanted = dict(item.split("=", 1) for item in selector.split(",") if item)
        items = [
            obj for (p, kind, ns, _), obj in sorted(self.objects.items(), key=lambda kv: str(kv[0]))
            if (p, kind) == (prefix, plural) and namespace in (None, ns)
            and all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
        ]
        return httpx2.Response(200, json={"kind": "List", "apiVersion": "v1", "metadata": {}, "items": items})
