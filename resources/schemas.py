"""JSON Schemas of models: `python -m resources.schemas [--check]` writes (or checks) docs/schemas/<Kind>.json.

`write_schemas` / `stale_schemas` take any mapping name -> model, so the event catalogue can reuse them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from resources.hubobject import HubObject
from resources.manifests import FLEET_MODELS

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"
KIND_MODELS: dict[str, type[BaseModel]] = {**FLEET_MODELS, "HubObject": HubObject}


class KubeJsonSchema(GenerateJsonSchema):
    """Schemas as Kubernetes writes them: an optional field is simply not required (no `null` option,
    no `default: null`), and no generated titles."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        if schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def render_schemas(models: Mapping[str, type[BaseModel]]) -> dict[str, str]:
    """File name -> JSON text (sorted keys, 2-space indent, trailing newline) of each model's schema."""
    return {
        f"{name}.json": json.dumps(
            model.model_json_schema(by_alias=True, schema_generator=KubeJsonSchema), indent=2, sort_keys=True
        )
        + "\n"
        for name, model in models.items()
    }


def stale_schemas(models: Mapping[str, type[BaseModel]], directory: Path) -> list[str]:
    """Names of the files in `directory` that are missing or differ from the generated schemas."""
    return sorted(
        name
        for name, text in render_schemas(models).items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    )


def write_schemas(models: Mapping[str, type[BaseModel]], directory: Path) -> list[Path]:
    """Write every schema into `directory` (created if needed); returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas(models).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(
    argv: list[str] | None = None,
    models: Mapping[str, type[BaseModel]] = KIND_MODELS,
    default_dir: Path = DEFAULT_DIR,
    command: str = "python -m resources.schemas",
) -> int:
    parser = argparse.ArgumentParser(description=f"{command} [--check]: write or check JSON Schemas")
    parser.add_argument("--check", action="store_true", help="fail if the files on disk are stale instead of writing")
    parser.add_argument("--dir", type=Path, default=default_dir, help=f"output directory (default {default_dir})")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas(models, args.dir)
        if stale:
            print(
                f"stale JSON schemas in {args.dir}: {', '.join(stale)}; run `{command}`",
                file=sys.stderr,
            )
            return 1
        return 0
    for path in write_schemas(models, args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
