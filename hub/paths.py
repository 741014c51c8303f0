"""Kubernetes-shaped request paths -> (kind, namespace, name, subresource).

`/api/v1/[namespaces/NS/]PLURAL[/NAME[/SUB]]` for the core group and
`/apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME[/SUB]]` for the others; `/api/v1/namespaces/NAME`
is the Namespace NAME itself. Kinds come from the kind table (resources.kinds); a plural the table does
not know is a hub kind only the request body can name (`apply` of a custom resource).
"""
from __future__ import annotations

from dataclasses import dataclass

from hub.errors import ApiError
from resources.kinds import KINDS, KindInfo

_BY_PLURAL: dict[tuple[str, str], KindInfo] = {(info.group, info.plural): info for info in KINDS}


@dataclass(frozen=True)
class Target:
    """What a request path names."""

    group: str
    version: str
    plural: str
    info: KindInfo | None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    def require_info(self) -> KindInfo:
        if self.info is None:
            group = f".{self.group}" if self.group else ""
            raise ApiError(404, "NotFound", f'the server doesn\'t have a resource type "{self.plural}{group}"')
        return self.info


def parse_path(group: str, version: str, rest: str) -> Target:
    """The target of `/apis/{group}/{version}/{rest}` (group "" for `/api/{version}/{rest}`)."""
    parts = [p for p in rest.split("/") if p]
    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces":
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource: {rest!r}")
    plural = parts[0]
    return Target(
        group=group,
        version=version,
        plural=plural,
        info=_BY_PLURAL.get((group, plural)),
        namespace=namespace,
        name=parts[1] if len(parts) > 1 else None,
        subresource=parts[2] if len(parts) > 2 else None,
    )
