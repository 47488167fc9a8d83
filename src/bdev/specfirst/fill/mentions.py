"""Stored fields a read's own requirements name, which its body never uses.

"returns the public documents whose title or body contains q ... Private documents never
show up": a small model writes the text search and forgets the `private` flag, and no
test derived from the document can see it (the spec says nothing about privacy). When a
sentence about the operation names a field that other operations store (a property of
their request bodies) and the body never touches that field, the sentence goes back
with the answer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Set as AbstractSet

from bdev.specfirst.codegen.schemas import file_kind
from bdev.specfirst.fill.nodes import is_store_call, parsed
from bdev.specfirst.plan import Operation, ServicePlan
from bdev.specfirst.shapes import merged_properties


def stored_fields(plan: ServicePlan, op: Operation) -> set[str]:
    """The fields the other operations' JSON and form bodies carry, files aside (and
    names too short to tell from a word of the text: `to`, `url`)."""
    fields: set[str] = set()
    for other in plan.operations:
        if other.operation_id != op.operation_id:
            fields |= stored_fields_of(plan, other)
    return {f for f in fields if f.isidentifier() and len(f) >= 4}


def stored_fields_of(plan: ServicePlan, op: Operation) -> set[str]:
    """The non-file fields of one operation's body."""
    if op.body is None or not isinstance(op.body.schema_, dict):
        return set()
    props = merged_properties(plan.document, op.body.schema_)[0]
    return {n for n, s in props.items() if file_kind(plan.document, s) is None}


def flag_fields(plan: ServicePlan) -> set[str]:
    """The boolean fields of the operations' bodies (`private`, `published`, `done`)."""
    flags: set[str] = set()
    for op in plan.operations:
        if op.body is not None and isinstance(op.body.schema_, dict):
            props = merged_properties(plan.document, op.body.schema_)[0]
            flags |= {n for n, s in props.items() if isinstance(s, dict) and _is_boolean(s)}
    return flags


def _is_boolean(schema: dict[str, object]) -> bool:
    return schema.get("type") == "boolean"


def unused_named_fields(
    code: str,
    op: Operation,
    sentences: list[str],
    fields: set[str],
    flags: AbstractSet[str] = frozenset(),
) -> list[str]:
    """One problem per stored field the sentences name that the body never mentions
    (only for reads: a GET's requirements say what to leave out or match). A sentence
    about another method ("POST /notes saves a title and a body") is not about it."""
    sentences = [
        s for s in sentences
        if all(m.upper() == op.method.upper() for m in _METHOD_PATH.findall(s))
    ]  # fmt: skip
    if op.method != "get" or not sentences:
        return []
    mentioned = _mentions(code)
    if mentioned is None:
        return []
    own = {p.py_name for p in op.params} | {p.name for p in op.params}
    problems = []
    for field in sorted(fields - own - mentioned):
        said = next((s for s in sentences if _names(s, field)), None)
        if said is not None:
            hint = (
                f"; {field!r} is true or false: test row.get({field!r}) for each row, as the "
                "sentence says"
                if field in flags
                else ""
            )
            problems.append(
                f"the requirements name {field!r}, which the stored rows hold, and this body "
                f"never uses it: {said!r}{hint}"
            )
    return problems


_METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+/")


def _names(sentence: str, field: str) -> bool:
    words = field.replace("_", " ")
    return re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", sentence, re.I) is not None


def _mentions(code: str) -> set[str] | None:
    """Every name, attribute and string the code uses; None when it does not parse."""
    tree = parsed(code)
    if tree is None:
        return None
    return {leaf for node in ast.walk(tree) if (leaf := _leaf(node)) is not None}


def _leaf(node: ast.AST) -> str | None:
    """A name, an attribute or a string the code uses."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


_SHOWS = re.compile(r"\b(show\w*|display\w*|contain\w*|includ\w*|with)\b", re.I)


def unshown_fields(code: str, op: Operation, sentences: list[str], fields: set[str]) -> list[str]:
    """A page (an HTML or text response) whose requirements say it shows a parameter or
    a stored field ("an HTML page showing the username and the bio") that never reaches
    what the body returns."""
    ok = op.success
    if (
        op.method != "get"
        or ok is None
        or not (ok.text or (ok.media_type or "").startswith("text/"))
    ):
        return []
    tree = parsed(code)
    if tree is None:
        return []
    returned = _returned_names(tree)
    candidates = fields | {p.py_name for p in op.params}
    problems = []
    for sentence in sentences:
        verb = _SHOWS.search(sentence)
        if verb is None:
            continue
        shown = sentence[verb.end() :]
        for field in sorted(candidates):
            if _names(shown, field) and field not in returned:
                problems.append(
                    f"the requirements say the page shows {field!r} ({sentence.strip()!r}), "
                    f"and {field!r} never reaches what this body returns"
                )
    return list(dict.fromkeys(problems))


def _returned_names(tree: ast.Module) -> set[str]:
    """Names and string keys in the returned values, and in what those names were
    assigned from (followed until nothing new comes in)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            found |= _names_in(node.value)
    assigns = [
        (target.id, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    while True:
        more = set().union(*(_names_in(value) for name, value in assigns if name in found))
        if more <= found:
            return found
        found |= more


def _names_in(node: ast.AST) -> set[str]:
    """Names, attributes and strings in `node`, except a store call's arguments: the key
    a row is looked up by (`store.find("users", "username", username)`) is not shown by
    showing the row."""
    if isinstance(node, ast.Call) and is_store_call(node, getattr(node.func, "attr", "")):
        return {"store"}
    leaf = _leaf(node)
    out: set[str] = {leaf} if leaf is not None else set()
    for child in ast.iter_child_nodes(node):
        out |= _names_in(child)
    return out


_NEGATED = re.compile(r"\b(never|not|no|excluded?|hidden|hides?|without)\b", re.I)
_ONLY = re.compile(r"\bonly\b", re.I)


def visibility(sentences: list[str], flags: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags whose rows a read leaves out, flags whose rows alone it shows), from the
    sentences that name them: "Private documents never show up" hides `private` rows,
    "only published posts are listed" shows `published` ones alone."""
    hidden: list[str] = []
    required: list[str] = []
    for flag in sorted(flags):
        for sentence in sentences:
            if not _names(sentence, flag):
                continue
            if _NEGATED.search(sentence):
                hidden.append(flag)
            elif _ONLY.search(sentence):
                required.append(flag)
            break
    return tuple(hidden), tuple(required)


def constant_fields(code: str, op: Operation, fields: set[str]) -> list[str]:
    """A read that answers a field the rows store with the same constant on every path
    (`"role": "member"` where a role is stored and can change)."""
    if op.method != "get":
        return []
    tree = parsed(code)
    if tree is None:
        return []
    values: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in fields:
                    values.setdefault(key.value, []).append(value)
    problems = []
    for field, given in sorted(values.items()):
        constants = {v.value for v in given if isinstance(v, ast.Constant)}
        if len(constants) == 1 and len(given) == sum(isinstance(v, ast.Constant) for v in given):
            (constant,) = constants
            if constant is not None:
                problems.append(
                    f"{field!r} is answered as {constant!r} on every path, but the rows store "
                    f"a {field!r} that can differ: read it from the row"
                )
    return problems
