"""The knowledge-base codebook and JSON Schema, generated from the pydantic models in schema.py.

Both come from the same JSON Schema pydantic derives, so the codebook can never
drift from what the validator accepts.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from kzcli.errors import BadUsage
from kzcli.kb.files import KINDS
from kzcli.kb.schema import MODELS

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadUsage(f"schema: unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    return kind


def _file_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind's file: a list of that kind's records."""
    records_of: Any = list  # a list of one model class chosen at run time
    adapter: TypeAdapter[Any] = TypeAdapter(records_of[MODELS[kind]])
    return adapter.json_schema(by_alias=True)


def json_schema(kind: str | None) -> str:
    """A JSON Schema for one kind's YAML file: a list of records."""
    if kind is None:
        raise BadUsage(f"schema --json-schema: name the file's kind ({', '.join(KINDS)})")
    schema = _file_schema(_kind(kind))
    return json.dumps(
        {"$schema": SCHEMA_URL, "title": f"kz knowledge base: {kind}.yaml", **schema},
        indent=2,
        ensure_ascii=False,
    )


def _type_of(spec: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "enum" in spec:
        return "one of: " + ", ".join(str(v) for v in spec["enum"])
    if "const" in spec:
        return repr(spec["const"])
    if "anyOf" in spec:
        kinds = [_type_of(s, defs) for s in spec["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds) + (" (or null)" if len(kinds) < len(spec["anyOf"]) else "")
    if spec.get("type") == "array":
        item = _type_of(spec.get("items", {}), defs)
        least = f", at least {spec['minItems']}" if spec.get("minItems") else ""
        return f"list of {item}{least}"
    text = str(spec.get("type", "any"))
    if "pattern" in spec:
        text += f" matching {spec['pattern']}"
    if "maxLength" in spec:
        text += f", at most {spec['maxLength']} characters"
    if "minimum" in spec:
        text += f" ≥ {spec['minimum']}"
    return text


def _describe_model(name: str, spec: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    # A docstring of several paragraphs keeps its lines under the model's name.
    described = spec.get("description", "").strip().splitlines() or [""]
    lines = [name, *(f"  {line}" if line else "" for line in described)]
    required = set(spec.get("required", []))
    for field, field_spec in spec.get("properties", {}).items():
        need = "required" if field in required else "optional"
        meaning = f"\n      {field_spec['description']}" if "description" in field_spec else ""
        lines.append(f"  {field} ({need}): {_type_of(field_spec, defs)}{meaning}")
    return lines


def describe(kind: str | None) -> str:
    """Every field of every record kind (or one), its type and vocabulary, and the nested parts."""
    kinds = [_kind(kind)] if kind else list(KINDS)
    blocks: list[list[str]] = []
    seen: set[str] = set()
    for name in kinds:
        schema = _file_schema(name)
        defs = schema.get("$defs", {})
        top = schema["items"]["$ref"].rsplit("/", 1)[-1]
        blocks.append([f"{name}.yaml: a list of {top} records", *_describe_model(top, defs[top], defs)[1:]])
        seen.add(top)
        for part, spec in defs.items():
            if part not in seen:
                seen.add(part)
                blocks.append(_describe_model(part, spec, defs))
    return "\n\n".join("\n".join(block) for block in blocks)


def field_notes() -> dict[str, dict[str, str]]:
    """Each model's fields, by model name (Event, Citation, Role...), as 'meaning (type)' or just the type."""
    notes: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        schema = _file_schema(kind)
        defs = schema.get("$defs", {})
        for model, spec in defs.items():
            notes[model] = {
                field: f"{field_spec['description'].strip()} ({_type_of(field_spec, defs)})"
                if "description" in field_spec
                else _type_of(field_spec, defs)
                for field, field_spec in spec.get("properties", {}).items()
            }
    return notes
