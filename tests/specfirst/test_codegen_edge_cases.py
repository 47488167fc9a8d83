"""Spec text generated code must survive: schemas that contain themselves, quotes."""

from __future__ import annotations

import ast

import pytest

from bdev.specfirst.codegen.examples import NoExample, example
from bdev.specfirst.codegen.schemas import docstring_literal

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


@pytest.mark.parametrize(
    "text", ['Returns a "218 This is fine"', 'three """ quotes', "a back\\slash", "plain"]
)
def test_a_docstring_holds_any_spec_text(text: str) -> None:
    assert ast.literal_eval(docstring_literal(text)) == text
