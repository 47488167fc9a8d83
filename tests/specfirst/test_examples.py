"""Example values for the generated tests, including schemas that contain themselves."""

from __future__ import annotations

import pytest

from bdev.specfirst.codegen.examples import NoExample, example

NODE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        "parent": {"$ref": "#/components/schemas/Node"},
    },
}
DOC = {"components": {"schemas": {"Node": NODE}}}


def test_a_schema_that_contains_itself_gets_a_finite_example() -> None:
    value = example(DOC, {"$ref": "#/components/schemas/Node"})
    # Inside itself the optional parent is left out and the children list is empty.
    assert value == {"name": "name-1", "children": []}


def test_a_required_self_reference_has_no_example() -> None:
    chain = {**NODE, "required": ["name", "parent"]}
    doc = {"components": {"schemas": {"Node": chain}}}
    with pytest.raises(NoExample, match="contains itself"):
        example(doc, {"$ref": "#/components/schemas/Node"})
