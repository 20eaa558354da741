"""pydantic models -> JSON Schema under `components/schemas`, generated in one pass so that names agree.

pydantic names a model's schema after the model, with `-Input`/`-Output` only where its validation and
serialization forms differ; asking for every model of a document at once keeps those names consistent.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

REF_PREFIX = "#/components/schemas/"
Key = tuple[type[BaseModel], JsonSchemaMode]


class Schemas:
    """The schemas of the models one document names: inputs as pydantic validates them, outputs as it renders them."""

    def __init__(self, wanted: list[Key]) -> None:
        unique = list(dict.fromkeys(wanted))
        refs, top = models_json_schema(unique, ref_template=REF_PREFIX + "{model}")
        self._refs: dict[Key, dict[str, Any]] = dict(refs)
        self.components: dict[str, Any] = top.get("$defs", {})

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(self._refs[(model, mode)])

    def definition(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return self.components[self._refs[(model, mode)]["$ref"].removeprefix(REF_PREFIX)]

    def body_without(self, model: type[BaseModel], taken: set[str]) -> dict[str, Any]:
        """The model's body: its schema less the fields the URL's path gives (sending them too is a 400)."""
        if not taken:
            return self.ref(model, "validation")
        schema = copy.deepcopy(self.definition(model, "validation"))
        for name in taken:
            schema.get("properties", {}).pop(name, None)
        schema["required"] = [r for r in schema.get("required", []) if r not in taken]
        if not schema["required"]:
            del schema["required"]
        name = f"{model.__name__}Body"
        self.components[name] = schema
        return {"$ref": REF_PREFIX + name}

    def fields(self, model: type[BaseModel]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """The properties of an input model and the names it requires, for path and query parameters."""
        schema = self.definition(model, "validation")
        return schema.get("properties", {}), set(schema.get("required", []))


def parameter_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A property as a parameter's schema: an absent parameter already means None, so `null` is no value to send."""
    schema = {k: v for k, v in prop.items() if k not in ("title", "default", "description")}
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v != {"type": "null"}]
        schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
    if "default" in prop and prop["default"] is not None:
        schema["default"] = prop["default"]
    return schema


def referenced(tree: Any) -> set[str]:
    """Every component schema name a `$ref` in `tree` points at."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                found.add(ref.removeprefix(REF_PREFIX))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def used_only(components: dict[str, Any], roots: Any) -> dict[str, Any]:
    """The component schemas reachable from `roots` (the paths), in name order: parameters' models are not among
    them, since their fields became parameters."""
    keep: set[str] = set()
    todo = referenced(roots)
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo |= referenced(components[name]) - keep
    return {name: components[name] for name in sorted(keep)}
