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
from bdev.prompts import render
from bdev.specfirst.codegen.credentials import operator_only, static_schemes
from bdev.specfirst.codegen.schemas import file_kind
from bdev.specfirst.codegen.slots import Slot
from bdev.specfirst.constraints import read_constraints
from bdev.specfirst.fill.idioms import idioms_for
from bdev.specfirst.plan import Operation, Resource, Response, ServicePlan
from bdev.specfirst.refs import SCHEMA_PREFIX, deref
from bdev.specfirst.resources import issued_key_field
from bdev.specfirst.shapes import merged_properties

SYSTEM = render("fill_system")

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
    written: list[str] | None = None,
    folder: str | None = None,
    samples: list[str] | None = None,
) -> list[Message]:
    """The opening conversation for `op`; with `previous`+`evidence`, a re-fill request.
    `written`: handlers already written for the same data (see `related_slots`);
    `folder`: the setting of the folder that holds all of the data (no store rows);
    `samples`: what the commands the requirements name print here (`fill.samples`)."""
    text = user_prompt(plan, op, slot, written=written, folder=folder, samples=samples)
    if previous and evidence:
        text = render("fill_retry", prompt=text, previous=previous, evidence=evidence)
    return [Message("system", SYSTEM), Message("user", text)]


def user_prompt(
    plan: ServicePlan,
    op: Operation,
    slot: Slot,
    *,
    written: list[str] | None = None,
    folder: str | None = None,
    samples: list[str] | None = None,
) -> str:
    """The facts of one operation, laid out by `prompts/fill_user.md.j2`. With a
    `folder`, the store's helpers are left out: nothing is in it."""
    doc = plan.document
    ok = op.success
    success = None
    if ok is not None:
        shape = sketch(doc, ok.schema_) if ok.schema_ and ok.status != "204" else "no body"
        success = {"status": ok.status, "shape": _shape_of(ok, shape)}
    params = [
        {"name": p.py_name, "sketch": sketch(doc, p.schema_), "location": p.location,
         "required": p.required}
        for p in op.params
    ]  # fmt: skip
    return render(
        "fill_user",
        helpers=[h for h in slot.helpers if not (folder and h.startswith("store."))],
        folder=folder,
        samples=samples or [],
        method=op.method.upper(),
        path=op.path,
        operation_id=op.operation_id,
        about=" ".join(t for t in (op.summary, op.description) if t),
        params=params,
        body=_body_sketch(plan, op),
        settings=settings_named(plan.describe or ""),
        libraries=libraries_allowed(plan.describe or ""),
        idioms=idioms_for(
            own_sentences(plan.describe or "", op), _imports_allowed(plan), op.method
        ),
        principal=_principal(plan, op) if op.security and not operator_only(plan, op) else None,
        key_table=plan.key_table,
        key_id=_key_id_kind(plan),
        operator=_operator(plan, op),
        success=success,
        errors=[f"{s} {r.description}".strip() for s, r in op.responses.items() if s[0] in "45"],
        tables=[_table(plan, r) for r in plan.resources.values()],
        requirements=relevant_sentences(plan.describe or "", op),
        signature=slot.signature,
        written=written or [],
    )


def _table(plan: ServicePlan, resource: Resource) -> str:
    """`members (key id, integer; rows: id, username, role)`. A table the skeleton fills
    says what a row holds (the body sent, the id and any fields it sets), so a read asks
    for fields that were stored; an issued key is not (only its digest is)."""
    text = f"{resource.table} (key {resource.id_field}, {resource.id_type}"
    maker = next(
        (op for op in plan.operations
         if op.resource == resource.table and op.kind in ("create", "issue_key", "register")),
        None,
    )  # fmt: skip
    if maker is None:  # a slot stores the rows: what they hold is its choice
        return text + ")"
    doc = plan.document
    sent = merged_properties(doc, maker.body.schema_ if maker.body else {})[0]
    fields = [*dict.fromkeys([*merged_properties(doc, resource.item_schema or {})[0], *sent])]
    issued = issued_key_field(plan, maker) if maker.kind == "issue_key" else None
    fields = [f for f in fields if f != issued and f != "password"]
    if maker.kind == "register":
        fields.append("password_hash (check with verify_password)")
    text += "; rows: " + ", ".join(fields[:12]) if fields else ""
    if issued:
        text += f"; the {issued} is never stored"
    return text + ")"


MAX_WRITTEN_LINES = 25


def related(plan: ServicePlan, op: Operation, other: Operation) -> bool:
    """Whether two operations work on the same data: their paths start with the same
    fixed segment (`/files` and `/files/{name}`, `/images` and `/images/{id}/thumbnail`).
    Slots are filled one at a time, so a handler that reads what another stores is shown
    how that one stored it (a small model otherwise invents a second way)."""
    return other is not op and _first_segment(op.path) == _first_segment(other.path) != ""


def _first_segment(path: str) -> str:
    first = path.strip("/").split("/")[0]
    return "" if first.startswith("{") else first


def shown(source: str) -> str:
    """A written handler as the prompt shows it: at most MAX_WRITTEN_LINES lines."""
    lines = source.splitlines()
    if len(lines) <= MAX_WRITTEN_LINES:
        return source
    return "\n".join([*lines[:MAX_WRITTEN_LINES], "    ..."])


def _body_sketch(plan: ServicePlan, op: Operation) -> str | None:
    if op.body is None:
        return None
    files = op.body.encoding == "multipart"
    return sketch(plan.document, op.body.schema_, files=files)


def settings_named(describe: str) -> list[str]:
    """Environment variables the task names for the service's settings (a folder, a
    limit): the handler reads them; secrets and the database are the skeleton's."""
    found = read_constraints(describe).env if describe else ()
    # A credential (an operator's token) is checked by the skeleton, not by handler code.
    return [v.name for v in found if v.role == "setting" and not _CREDENTIAL.search(v.name)]


_CREDENTIAL = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|KEY")


# The web stack (the skeleton's business, refused by fill.stray) and what the skeleton's
# helpers already do (hash_password, create_token): not worth a handler's attention.
_STACK = frozenset(
    {
        "flask", "fastapi", "starlette", "uvicorn", "pydantic", "python-multipart", "anyio",
        "typing-extensions", "werkzeug", "jinja2", "itsdangerous", "click", "blinker",
        "markupsafe", "h11", "gunicorn", "passlib", "pyjwt", "bcrypt", "email-validator",
    }
)  # fmt: skip
# Import names that differ from the distribution's, for the packages tasks name most.
_IMPORT_NAMES = {"pyjwt": "jwt", "fpdf2": "fpdf", "pillow": "PIL", "pyyaml": "yaml",
                 "python-dateutil": "dateutil", "beautifulsoup4": "bs4"}  # fmt: skip


def libraries_allowed(describe: str) -> list[str]:
    """The third-party packages the task allows a handler to import (`fpdf2 (import
    fpdf)`), so the model uses them instead of the ones it knows best (reportlab)."""
    packages = read_constraints(describe).packages if describe else None
    names = sorted((packages or frozenset()) - _STACK)
    return [f"{n} (import {_IMPORT_NAMES[n]})" if n in _IMPORT_NAMES else n for n in names]


def _imports_allowed(plan: ServicePlan) -> set[str] | None:
    """The import names of the packages the task allows (None: it names none)."""
    packages = read_constraints(plan.describe).packages if plan.describe else None
    if packages is None:
        return None
    return {_IMPORT_NAMES.get(n, n) for n in packages}


def _operator(plan: ServicePlan, op: Operation) -> str | None:
    """`X-Admin-Token equal to os.environ['ADMIN_TOKEN']` when every way into the
    operation is a credential the task fixes in a variable (the route checked it)."""
    if not operator_only(plan, op):
        return None
    static = static_schemes(plan)
    names = {n for alt in op.security for n in alt}
    return " or ".join(
        f"{plan.security_schemes[n].param_name} equal to os.environ[{static[n]!r}]"
        for n in sorted(names)
    )


def _key_id_kind(plan: ServicePlan) -> str:
    """How the handler sees a key owner's id: the repairs make an integer id an int."""
    keys = plan.resources.get(plan.key_table or "")
    return "an int" if keys is not None and keys.id_type == "integer" else "a str"


def _principal(plan: ServicePlan, op: Operation) -> str:
    """Which kind of caller the handler's `principal` is (the template words it)."""
    names = {n for alt in op.security for n in alt}
    schemes = {plan.security_schemes[n].kind for n in names}
    if "bearer" in schemes or plan.session_cookie in names:
        return "bearer"
    return "key_table" if plan.key_table else "api_key"


def sketch(doc: dict[str, Any], schema: Any, depth: int = 0, *, files: bool = False) -> str:
    """A one-line type sketch: `{id: integer, name*: string(1..80)}` (* = required).
    `files`: a multipart body, whose binary fields reach the handler as `Upload`s."""
    text = _sketch(doc, schema, depth, files)
    return text if len(text) <= MAX_SCHEMA_CHARS else text[: MAX_SCHEMA_CHARS - 3] + "..."


_UPLOAD_SKETCH = "Upload(.filename: str, .content: bytes)"


def _sketch(doc: dict[str, Any], schema: Any, depth: int, files: bool = False) -> str:
    if not isinstance(schema, dict):
        return "any"
    if files and depth > 0 and (kind := file_kind(doc, schema)):
        return _UPLOAD_SKETCH if kind == "Upload" else f"list[{_UPLOAD_SKETCH}]"
    name = schema["$ref"][len(SCHEMA_PREFIX) :] if "$ref" in schema else None
    schema = deref(doc, schema)
    if depth > 2:
        return name or str(schema.get("type", "object"))
    for combo in ("allOf", "oneOf", "anyOf"):
        if combo in schema:
            parts = [_sketch(doc, s, depth + 1, files) for s in schema[combo]]
            joined = (" & " if combo == "allOf" else " | ").join(parts)
            return f"{name} = {joined}" if name and depth == 0 else joined
    if "enum" in schema:
        return "|".join(repr(v) for v in schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "array":
        return f"list[{_sketch(doc, schema.get('items', {}), depth + 1, files)}]"
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        fields = [
            f"{k}{'*' if k in required else ''}: {_sketch(doc, v, depth + 1, files)}"
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
    """The sentences of `describe` about the operation.

    A list item or paragraph that names the operation's path is about it: its sentences
    come first (the rules often follow the one with the path: "Only the operator may do
    it: ..."). The rest are picked, in order, by a keyword shared with the operation.
    Keyword overlap, not embeddings: it needs no model, costs nothing, and the rest of a
    paragraph about other operations only costs prompt tokens and distracts a small model.
    """
    sentences = _sentences(describe)
    if len(sentences) <= 2:
        return sentences
    picked = own_sentences(describe, op)[:MAX_SENTENCES]
    keys = _words(" ".join([op.path, op.summary, op.operation_id, *op.tags]))
    for sentence in sentences:
        if len(picked) >= MAX_SENTENCES:
            break
        if _words(sentence) & keys and not any(sentence in p or p in sentence for p in picked):
            picked.append(sentence)
    return picked


def own_sentences(describe: str, op: Operation) -> list[str]:
    """The sentences of the list items or paragraphs that name the operation's path."""
    names = _path_pattern(op.path)
    return [s for block in _BLOCK.split(describe) if _names(block, names, op.method)
            for s in _sentences(block)]  # fmt: skip


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_BLOCK = re.compile(r"\n\s*(?:[-*]|\d+[.)])\s+|\n{2,}")
_METHOD = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s*$")


def _names(block: str, path: re.Pattern[str], method: str) -> bool:
    """Whether the block names the path, other than after another method ("GET /files"
    is not about POST /files)."""
    for match in path.finditer(block):
        said = _METHOD.search(block[: match.start()])
        if said is None or said.group(1) == method.upper():
            return True
    return False


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _path_pattern(path: str) -> re.Pattern[str]:
    """The path as a text names it: `/users/{id}/role`, `/users/<id>/role`, `/users/:id/role`
    (and not as the start of a longer path)."""
    parts = re.split(r"\{[^}]*\}", path)
    param = r"(?:\{[^}]*\}|<[^>]*>|:\w+)"
    return re.compile(r"(?<![\w}>])" + param.join(map(re.escape, parts)) + r"(?![\w/{<])")


def _words(text: str) -> set[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ")
    words = set()
    for word in re.findall(r"[a-zA-Z]{3,}", text.lower()):
        if word in _STOP:
            continue
        # Plural and verb endings would hide "items"/"item", "archived"/"archive".
        words.add(re.sub(r"(ies|es|s|ed|ing)$", "", word) or word)
    return words


def _shape_of(ok: Response, shape: str) -> str:
    """What the handler returns for the success response, in the model's terms."""
    if ok.status.startswith("3"):
        return "a redirect (return the target URL as a str)"
    if ok.media_type == "text/html":
        return "an HTML page (return it as a str; pass user text through html.escape)"
    if ok.text:
        return "text (return a str)"
    if ok.media_type:
        return f"{ok.media_type} (return the content as bytes)"
    return shape
