"""Local `$ref` handling: checking that every reference resolves, and resolving one.

Hand-written rather than via jsonschema-path/referencing: code generation needs the
path of the *referring* node for error messages and the component *name* of a schema
reference (to use its generated class), which those lazy accessors hide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bdev.errors import BdevError

SCHEMA_PREFIX = "#/components/schemas/"


def dotted(parts: Iterable[Any]) -> str:
    """`['paths', '/a', 'get', 'parameters', 0]` -> `paths./a.get.parameters[0]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """The node a local reference like `#/components/schemas/Item` points to, or KeyError."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = doc
    for raw in ref[1:].split("/")[1:]:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node[key]
        else:
            raise KeyError(ref)
    return node


def check_refs(doc: dict[str, Any], source: str) -> None:
    """Raise a BdevError naming the first `$ref` that is remote or points nowhere."""

    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                where = dotted([*path, "$ref"])
                if not ref.startswith("#"):
                    raise BdevError(
                        f"{source}: at {where}: only local references are supported, got {ref!r}"
                    )
                try:
                    pointer(doc, ref)
                except (KeyError, IndexError, ValueError):
                    raise BdevError(
                        f"{source}: at {where}: reference {ref!r} points nowhere"
                    ) from None
                loop = _ref_loop(doc, ref)
                if loop:
                    raise BdevError(
                        f"{source}: at {where}: references go round in a circle"
                        f" ({' -> '.join(loop)}) and never reach a definition"
                    )
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*path, i])

    walk(doc, [])


def _ref_loop(doc: dict[str, Any], ref: str) -> list[str] | None:
    """The chain `ref -> ... -> ref` when following bare `$ref`s never reaches a node with
    content (`A: {$ref: B}`, `B: {$ref: A}`); None when it does. A schema that contains
    itself deeper down (a tree's children) is not a loop: it has content."""
    chain = [ref]
    node = pointer(doc, ref)
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target = node["$ref"]
        if target in chain:
            return [*chain, target]
        chain.append(target)
        try:
            node = pointer(doc, target)
        except (KeyError, IndexError, ValueError):
            return None  # reported where that reference is written
    return None


def deref(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow `$ref`s at the top of `node` (not inside it)."""
    while isinstance(node, dict) and "$ref" in node:
        if depth > 50:
            raise BdevError(f"reference cycle through {node['$ref']!r}")
        node = pointer(doc, node["$ref"])
        depth += 1
    return node
