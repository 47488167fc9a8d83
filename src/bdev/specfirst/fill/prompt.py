"""The short prompt that asks a model for one operation's function.

A 1.5B model on a CPU reads about 36 prompt tokens a second, so everything here is
compact: schemas as one-line type sketches, only the describe sentences that concern the
operation, and a system message that never changes (the local KV prefix is reused
from one slot to the next).
"""

from __future__ import annotations

import re
from typing import Any

from bdev.llm.base import Message
from bdev.specfirst.codegen.slots import Slot
from bdev.specfirst.plan import Operation, ServicePlan
from bdev.specfirst.refs import SCHEMA_PREFIX, deref

SYSTEM = """You write the body of one Python function of a web service.
Reply with the complete function in one ```python block and nothing else.
Keep the given signature (a plain def: the store is synchronous).
Return a JSON-ready dict or list for the success response;
for a documented error, raise ApiError(status, message).
Keep data with the store helpers. Never use eval, exec, shell commands, SQL strings,
or open() on a path that did not come from safe_join.
Check every size limit before doing the work, never after it.
Rows are plain dicts of the stored fields plus their id. Filter, search and sort in
Python, for example:
```python
def open_tasks(*, owner: str, store: Store) -> Any:
    rows = store.list("tasks", filters={"owner": owner})
    rows = [r for r in rows if not r.get("done")]
    return sorted(rows, key=lambda r: r["id"], reverse=True)
```"""

MAX_SENTENCES = 4
MAX_SCHEMA_CHARS = 500
# Words too common in API prose to tell one operation from another.
_STOP = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "get", "in", "is",
        "it", "its", "of", "on", "or", "the", "this", "to", "with", "api", "endpoint",
        "operation", "return", "service", "one", "all", "each", "new",
    }
)  # fmt: skip


def messages_for(
    plan: ServicePlan,
    op: Operation,
    slot: Slot,
    *,
    previous: str | None = None,
    evidence: str | None = None,
) -> list[Message]:
    """The opening conversation for `op`; with `previous`+`evidence`, a re-fill request."""
    text = user_prompt(plan, op, slot)
    if previous and evidence:
        text += (
            f"\n\nYour last version:\n```python\n{previous.strip()}\n```\n"
            f"It failed these checks:\n{evidence.strip()}\nWrite a corrected function."
        )
    return [Message("system", SYSTEM), Message("user", text)]


def user_prompt(plan: ServicePlan, op: Operation, slot: Slot) -> str:
    doc = plan.document
    # The helpers are the same for every slot: first, so the local KV cache of the last
    # prompt still covers them when the next slot's prompt is read.
    lines = ["Already defined (use them; never redefine them): " + "; ".join(slot.helpers)]
    lines.append(f"Operation: {op.method.upper()} {op.path} ({op.operation_id})")
    about = " ".join(t for t in (op.summary, op.description) if t)
    if about:
        lines.append(f"Does: {about}")
    for p in op.params:
        need = "required" if p.required else "optional"
        lines.append(f"Param {p.py_name}: {sketch(doc, p.schema_)} ({p.location}, {need})")
    if op.body is not None:
        lines.append(f"body: {sketch(doc, op.body.schema_)} (a pydantic model; body.field)")
    if op.security:
        lines.append(_principal(plan, op))
    ok = op.success
    if ok is not None:
        shape = sketch(doc, ok.schema_) if ok.schema_ and ok.status != "204" else "no body"
        shape = "text (return a str)" if ok.text else shape
        lines.append(f"Success {ok.status}: {shape}")
    errors = [f"{s} {r.description}".strip() for s, r in op.responses.items() if s[0] in "45"]
    if errors:
        lines.append("Errors: " + "; ".join(errors))
    if plan.resources:
        tables = ", ".join(
            f"{r.table} (key {r.id_field}, {r.id_type})" for r in plan.resources.values()
        )
        lines.append(f"Store tables: {tables}")
    context = relevant_sentences(plan.describe or "", op)
    if context:
        lines.append("Requirements: " + " ".join(context))
    lines.append(f"Complete this function:\n{slot.signature}")
    return "\n".join(lines)


def _principal(plan: ServicePlan, op: Operation) -> str:
    schemes = {plan.security_schemes[n].kind for alt in op.security for n in alt}
    if "bearer" in schemes:
        return "principal: the caller's token claims; principal['sub'] is the user's id (a str)"
    if plan.key_table:
        return f"principal: the caller; principal['sub'] is its {plan.key_table} id (a str)"
    return "principal: set when the caller's API key is valid (no user identity)"


def sketch(doc: dict[str, Any], schema: Any, depth: int = 0) -> str:
    """A one-line type sketch: `{id: integer, name*: string(1..80)}` (* = required)."""
    text = _sketch(doc, schema, depth)
    return text if len(text) <= MAX_SCHEMA_CHARS else text[: MAX_SCHEMA_CHARS - 3] + "..."


def _sketch(doc: dict[str, Any], schema: Any, depth: int) -> str:
    if not isinstance(schema, dict):
        return "any"
    name = schema["$ref"][len(SCHEMA_PREFIX) :] if "$ref" in schema else None
    schema = deref(doc, schema)
    if depth > 2:
        return name or str(schema.get("type", "object"))
    for combo in ("allOf", "oneOf", "anyOf"):
        if combo in schema:
            parts = [_sketch(doc, s, depth + 1) for s in schema[combo]]
            joined = (" & " if combo == "allOf" else " | ").join(parts)
            return f"{name} = {joined}" if name and depth == 0 else joined
    if "enum" in schema:
        return "|".join(repr(v) for v in schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "array":
        return f"list[{_sketch(doc, schema.get('items', {}), depth + 1)}]"
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        fields = [
            f"{k}{'*' if k in required else ''}: {_sketch(doc, v, depth + 1)}"
            for k, v in (schema.get("properties") or {}).items()
        ]
        return "{" + ", ".join(fields) + "}" if fields else "object"
    return str(kind) + _bounds(schema)


def _bounds(schema: dict[str, Any]) -> str:
    notes = [schema["format"]] if "format" in schema else []
    for low, high in (("minimum", "maximum"), ("minLength", "maxLength")):
        if low in schema or high in schema:
            notes.append(f"{schema.get(low, '')}..{schema.get(high, '')}")
    return f"({', '.join(notes)})" if notes else ""


def relevant_sentences(describe: str, op: Operation) -> list[str]:
    """The sentences of `describe` that share a keyword with the operation, in order.

    Keyword overlap, not embeddings: it needs no model, costs nothing, and a sentence
    that names the operation's resource or verb is what the model needs; the rest of a
    paragraph about other operations only costs prompt tokens and distracts a small model.
    """
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n{2,}", describe) if s.strip()]
    if len(sentences) <= 2:
        return sentences
    keys = _words(" ".join([op.path, op.summary, op.operation_id, *op.tags]))
    scored = [s for s in sentences if _words(s) & keys]
    return scored[:MAX_SENTENCES]


def _words(text: str) -> set[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ")
    words = set()
    for word in re.findall(r"[a-zA-Z]{3,}", text.lower()):
        if word in _STOP:
            continue
        # Plural and verb endings would hide "items"/"item", "archived"/"archive".
        words.add(re.sub(r"(ies|es|s|ed|ing)$", "", word) or word)
    return words
