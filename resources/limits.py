"""Size limits of objects (docs/limits.md): what Kubernetes enforces, and what keeps an event in one Kafka record.

- `MAX_DATA_BYTES`: Kubernetes refuses a ConfigMap whose `data` + `binaryData` (a Secret whose `data` +
  `stringData`) exceed 1 MiB, counting the bytes of every key and value (here: as written).
- `MAX_OBJECT_BYTES`: every change of an object is one event, one Kafka record, and Kafka's default
  record limit is about 1 MB (`message.max.bytes` 1048588, the producer's `max.request.size` 1048576); the
  object's compact JSON must stay under 1,000,000 bytes, leaving room for the event's envelope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from resources.errors import FieldProblem

MAX_DATA_BYTES = 1024 * 1024
MAX_OBJECT_BYTES = 1_000_000


def data_bytes(maps: Mapping[str, Mapping[str, str]]) -> int:
    """The size Kubernetes limits: UTF-8 bytes of every key and value of the data maps."""
    return sum(len(key.encode()) + len(value.encode()) for items in maps.values() for key, value in items.items())


def data_size_message(kind: str, fields: Mapping[str, Mapping[str, str]]) -> str | None:
    """Why the data maps (`data`, `binaryData`, ...) of a `kind` are too large, or None."""
    size = data_bytes(fields)
    if size <= MAX_DATA_BYTES:
        return None
    return (f"too long: the {' and '.join(fields)} of a {kind} must have at most {MAX_DATA_BYTES} bytes (1 MiB), "
            f"got {size}; keep large content out of the {kind} (in an image or a volume)")


def object_size_problem(doc: Any) -> FieldProblem | None:
    """Why the object `doc` (as decoded from YAML/JSON) is too large to be one event, or None."""
    size = len(json.dumps(doc, default=str, ensure_ascii=False, separators=(",", ":")).encode())
    if size <= MAX_OBJECT_BYTES:
        return None
    return FieldProblem("", f"the object is too large: {size} bytes as JSON, over the limit of {MAX_OBJECT_BYTES} "
                            "bytes (each change is one Kafka record, whose default limit is 1 MB); split it into "
                            "smaller objects")
