"""Turns pydantic validation errors into FieldProblems: a kubectl-style field path and a message with the fix."""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from resources.base import INVALID
from resources.errors import FieldProblem

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """("spec", "stages", 0, "name") -> `spec.stages[0].name`; odd keys are bracketed:
    `metadata.labels["kubernetes.io/name"]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def describe_value(value: Any) -> str:
    """`string "3"`, `integer 3`, `boolean true`, `a list`, `a mapping`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _strip(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(tp) if a is not type(None)]
            if len(options) != 1:
                return tp
            tp = options[0]
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    tp = _strip(tp)
    origin = get_origin(tp)
    if isinstance(part, int):
        return get_args(tp)[0] if origin is list else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return next((f.annotation for f in tp.model_fields.values() if f.alias == part), None)
    if origin is dict:
        return get_args(tp)[1]
    return None


def fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names (aliases) allowed in the object at `loc` of `model`; [] when unknown."""
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


def did_you_mean(word: str, options: list[str]) -> str:
    by_case = [o for o in options if o.lower() == word.lower()]
    close = by_case or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _quote_hint(value: Any) -> str:
    if isinstance(value, bool):
        return f'; quote it: "{str(value).lower()}"'
    if isinstance(value, int | float):
        return f'; quote it: "{value}"'
    return ""


def _message(model: type[BaseModel], err: ErrorDetails) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    loc = tuple(err["loc"])
    if kind == INVALID:
        return str(ctx["message"])
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "extra_forbidden":
        allowed = fields_at(model, loc[:-1])
        hint = did_you_mean(str(loc[-1]), allowed)
        if not hint and allowed:
            hint = f" (allowed: {', '.join(allowed)})"
        return f'unknown field "{loc[-1]}"{hint}'
    if kind == "string_type":
        return f"must be a string, got {describe_value(value)}{_quote_hint(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        hint = "; remove the quotes" if isinstance(value, str) and value.strip().lstrip("-").isdigit() else ""
        return f"must be an integer, got {describe_value(value)}{hint}"
    if kind == "bool_type":
        return f"must be true or false, got {describe_value(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping (field: value), got {describe_value(value)}"
    if kind == "list_type":
        return f"must be a list, got {describe_value(value)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"must be one of {', '.join(options)}; got {describe_value(value)}{did_you_mean(str(value), options)}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, got {len(str(value))}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {describe_value(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"must be {op} {bound}, got {describe_value(value)}"
    if kind.startswith(("datetime", "date_")):
        return f"must be an RFC 3339 time such as 2025-01-01T00:00:00Z, got {describe_value(value)}"
    return str(err["msg"])


def problems_of(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, deduplicated, in pydantic's order."""
    problems: list[FieldProblem] = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        loc = tuple(err["loc"]) + (tuple(ctx.get("subpath", ())) if err["type"] == INVALID else ())
        problem = FieldProblem(format_path(loc), _message(model, err))
        if problem not in problems:
            problems.append(problem)
    return problems
