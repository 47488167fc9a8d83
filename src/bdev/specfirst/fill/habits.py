"""A web framework's request and upload objects, in a handler's own terms.

A Flask view reads Flask's global `request`; FastAPI and Flask hand out upload objects
with their own attributes (`.filename`, `.file.read()`, `.save(path)`). The handler a
slot holds is given its inputs as parameters instead (`body`, `q`, the body's `Upload`),
so these reads are rewritten to them (`repair` runs them on every answer).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bdev.specfirst.codegen.credentials import operator_only
from bdev.specfirst.codegen.schemas import file_kind
from bdev.specfirst.fill.mentions import flag_fields, visibility
from bdev.specfirst.fill.nodes import attr, call, dotted, name_node, name_of, subscript
from bdev.specfirst.fill.prompt import own_sentences
from bdev.specfirst.fill.sinks import EXPRESSION_WORDS
from bdev.specfirst.plan import Operation, ServicePlan
from bdev.specfirst.shapes import merged_properties
from bdev.specfirst.wording import stated_order


@dataclass(frozen=True)
class Inputs:
    """What the handler is given: {wire name: parameter} for its query, header and cookie
    parameters, whether it takes a `body`, and the body's one file field (if one)."""

    params: dict[str, str] = field(default_factory=dict)
    body: bool = False
    upload: str | None = None
    principal: bool = False  # the route authenticated the caller
    operator: bool = False  # the route admitted only the operator's fixed credential
    int_caller: bool = False  # principal["sub"] is (the text of) a row's integer id
    caller_table: str | None = None  # the table whose row the caller is (an API key's owner)
    # The one integer field of the success response besides an id: what a
    # `store.increment(...)` without a field counts.
    counter: str | None = None
    file_reply: bool = False  # the success response is a file (an image, a PDF), not JSON
    # Boolean fields whose rows a read never shows / shows alone (its words say so).
    hidden: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    evaluator: bool = False  # the operation evaluates an expression (its words say so)
    # The fields of a POST's JSON body (what a row it creates should keep); () otherwise.
    creates_from: tuple[str, ...] = ()
    # The client errors the operation documents that its handler, not the route, raises.
    errors: tuple[int, ...] = ()
    # The order the operation's words sort its list in: True descending, False
    # ascending, None unstated.
    descending: bool | None = None


# Answered before the handler runs: credentials, body size, media type, validation.
_ROUTE_ERRORS = frozenset({401, 403, 413, 415, 422})


def inputs_of(plan: ServicePlan, operation_id: str) -> Inputs:
    op = plan.operation(operation_id)
    params = {p.name: p.py_name for p in op.params if p.location != "path"}
    upload = upload_field(plan, operation_id)
    words = " ".join((op.operation_id, op.path, op.summary, op.description))
    evaluator = bool(EXPRESSION_WORDS.search(words))
    operator = bool(op.security) and operator_only(plan, op)
    caller = bool(op.security) and not operator
    creates_from: tuple[str, ...] = ()
    if op.method == "post" and op.body is not None and op.body.encoding == "json":
        props = merged_properties(plan.document, op.body.schema_)[0]
        creates_from = tuple(n for n in props if n.isidentifier())
    keys = plan.resources.get(plan.key_table or "")
    schemes = {plan.security_schemes[n].kind for alt in op.security for n in alt}
    by_key = (
        caller
        and keys is not None
        and "bearer" not in schemes
        and not any(plan.session_cookie in alt for alt in op.security)
    )
    int_caller = bool(by_key and keys is not None and keys.id_type == "integer")
    ok = op.success
    media = (ok.media_type or "") if ok is not None else ""
    file_reply = bool(media) and not media.startswith("text/") and "json" not in media
    hidden: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    if op.method == "get":
        hidden, required = visibility(own_sentences(plan.describe or "", op), flag_fields(plan))
    errors = tuple(sorted(int(c) for c in op.responses if c.isdigit() and 400 <= int(c) < 500))
    return Inputs(
        params, op.body is not None, upload, caller, operator, int_caller,
        plan.key_table if by_key else None, _counter(plan, op), file_reply, hidden, required,
        evaluator, creates_from, tuple(c for c in errors if c not in _ROUTE_ERRORS),
        stated_order(" ".join((op.summary, op.description))),
    )  # fmt: skip


def _counter(plan: ServicePlan, op: Operation) -> str | None:
    ok = op.success
    if ok is None or not isinstance(ok.schema_, dict):
        return None
    props = merged_properties(plan.document, ok.schema_)[0]
    counts = [
        n for n, s in props.items()
        if isinstance(s, dict) and s.get("type") == "integer" and n != "id"
    ]  # fmt: skip
    return counts[0] if len(counts) == 1 else None


def upload_field(plan: ServicePlan, operation_id: str) -> str | None:
    """The one file field of the operation's multipart body (None: none, or several)."""
    op = plan.operation(operation_id)
    if op.body is None or op.body.encoding != "multipart":
        return None
    props = merged_properties(plan.document, op.body.schema_)[0]
    files = [n for n, schema in props.items() if file_kind(plan.document, schema) == "Upload"]
    return files[0] if len(files) == 1 and files[0].isidentifier() else None


_JSON_READS = frozenset({"json", "get_json"})


# flask_jwt_extended's and similar "who is calling" helpers.
_IDENTITY_CALLS = frozenset({"get_jwt_identity", "get_current_user_id"})


# Names a model gives the caller's id in the principal, whose key for it is "sub".
_CALLER_ID_KEYS = frozenset({"id", "user_id", "userId", "uid", "member_id", "account_id"})


_FIELD_READS = frozenset({"args", "form", "values", "headers", "cookies", "files"})


class RequestReads(ast.NodeTransformer):
    """A Flask view's reads of the global `request`, as the handler's inputs (the route
    parsed the request into them already):

        request.get_json() / request.json          ->  body
        request.args.get("q", d) / request.args["q"]  ->  q  (q if q is not None else d)
        request.form.get("name") (no such parameter)  ->  body.get("name")
        request.files["file"] / .get("file")         ->  body.file (the one upload)

    A read with no counterpart is left for the checks to refuse."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.notes: set[str] = set()

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and node.args
            and self._caller_id(func.value, node.args[0])
        ):
            self.notes.add("principal.get('id') -> principal.get('sub')")
            node.args[0] = ast.Constant("sub")
            return node
        if self.inputs.evaluator and dotted(func) in ("eval", "builtins.eval") and node.args:
            # An expression evaluator's eval(text): the safe evaluator of arithmetic.
            self.notes.add("eval(text) -> evaluate_arithmetic(text)")
            return call(name_node("evaluate_arithmetic"), node.args[0])
        if name_of(func) in _IDENTITY_CALLS and not node.args and self.inputs.principal:
            self.notes.add(f"{name_of(func)}() -> principal['sub']")
            return subscript(name_node("principal"), "sub")
        if _request_part(func) in _JSON_READS and self.inputs.body:
            self.notes.add("request.get_json() -> body")
            return name_node("body")
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and _request_part(func.value) in _FIELD_READS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            default = node.args[1] if len(node.args) > 1 else None
            default = default or next((k.value for k in node.keywords if k.arg == "default"), None)
            part = _request_part(func.value)
            assert part is not None
            return self._field(node, part, node.args[0].value, default)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if self._caller_id(node.value, node.slice):
            self.notes.add("principal['id'] -> principal['sub']")
            node.slice = ast.Constant("sub")
            return node
        part = _request_part(node.value)
        key = node.slice
        if part in _FIELD_READS and isinstance(key, ast.Constant) and isinstance(key.value, str):
            return self._field(node, part, key.value, None)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        who = node.value
        if isinstance(who, ast.Name) and who.id == "current_user" and self.inputs.principal:
            # flask_login's user: the route already knows the caller.
            if node.attr in ("id", "get_id"):
                self.notes.add("current_user.id -> principal['sub']")
                return subscript(name_node("principal"), "sub")
            if node.attr == "is_authenticated":
                self.notes.add("current_user.is_authenticated -> principal is not None")
                return ast.Compare(name_node("principal"), [ast.IsNot()], [ast.Constant(None)])
        if _request_part(node) == "json" and self.inputs.body:
            self.notes.add("request.json -> body")
            return name_node("body")
        return node

    def _caller_id(self, owner: ast.expr, key: ast.expr) -> bool:
        """`principal["id"]` (or user_id, uid): the caller's id is its "sub" claim."""
        return (
            self.inputs.principal
            and isinstance(owner, ast.Name)
            and owner.id == "principal"
            and isinstance(key, ast.Constant)
            and key.value in _CALLER_ID_KEYS
        )

    def _field(self, node: ast.expr, part: str, key: str, default: ast.expr | None) -> ast.expr:
        found: ast.expr | None = None
        if part == "files" and self.inputs.upload:
            found = attr(name_node("body"), self.inputs.upload)
        elif key in self.inputs.params:
            found = name_node(self.inputs.params[key])
        elif part in ("form", "values") and self.inputs.body:
            extra = [default] if default is not None else []
            self.notes.add(f"request.{part}[...] -> the handler's input")
            return call(attr(name_node("body"), "get"), ast.Constant(key), *extra)
        if found is None:
            return node
        self.notes.add(f"request.{part}[...] -> the handler's input")
        if default is None:
            return found
        test = ast.Compare(left=found, ops=[ast.IsNot()], comparators=[ast.Constant(None)])
        return ast.IfExp(test=test, body=found, orelse=default)


def _request_part(node: ast.expr) -> str | None:
    """`args` for `request.args` (and `get_json` for `request.get_json`)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "request" else None
    return None


# What Flask's FileStorage and FastAPI's UploadFile offer, in an Upload's terms.
_UPLOAD_ATTRIBUTES = {"filename": "filename", "content_type": "content_type",
                      "mimetype": "content_type", "content": "content"}  # fmt: skip


# Readers that take a file object (an upload's bytes are given to them as a BytesIO).
_STREAM_READERS = frozenset({"ZipFile", "is_zipfile", "TarFile"})


_OPENERS = frozenset({"Image.open", "PIL.Image.open", "wave.open"})


class UploadAccess(ast.NodeTransformer):
    """`body.filename` (the upload object taken for the body) -> `body.file.filename`;
    `.file.read()` / `.stream.read()` -> `.read()`; `.size` -> `len(.content)`;
    `.save(path)` -> `Path(path).write_bytes(.content)` (the path checks still apply)."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.notes: set[str] = set()

    def _upload(self) -> ast.expr:
        return attr(name_node("body"), self.field)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        owner = node.value
        on_body = isinstance(owner, ast.Name) and owner.id == "body"
        if on_body and node.attr != self.field and node.attr in {*_UPLOAD_ATTRIBUTES, "read"}:
            self.notes.add(f"body.{node.attr} -> body.{self.field}.{node.attr}")
            return attr(self._upload(), _UPLOAD_ATTRIBUTES.get(node.attr, node.attr))
        if self._is_upload(owner) and node.attr in ("mimetype", "content_type"):
            return attr(self._upload(), "content_type")
        if self._is_upload(owner) and node.attr in ("size", "filesize", "content_length"):
            self.notes.add(f"body.{self.field}.size -> len(body.{self.field}.content)")
            return call(name_node("len"), attr(self._upload(), "content"))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if dotted(func).rsplit(".", 1)[-1] in _STREAM_READERS or dotted(func) in _OPENERS:
            # ZipFile(body.file) / Image.open(body.file.stream): a reader of file objects
            # given the upload; its bytes as a stream are what it needs.
            for i, arg in enumerate(node.args[:1]):
                if self._is_upload(arg) or (
                    isinstance(arg, ast.Attribute)
                    and arg.attr in ("content", "stream", "file")
                    and self._is_upload(arg.value)
                ):
                    self.notes.add(f"{dotted(func)}(upload) -> {dotted(func)}(BytesIO(...))")
                    stream = call(name_node("BytesIO"), attr(self._upload(), "content"))
                    node.args[i] = stream
            return node
        if not isinstance(func, ast.Attribute):
            return node
        inner = func.value
        # body.file.file.read() / body.file.stream.read()
        if (
            func.attr == "read"
            and isinstance(inner, ast.Attribute)
            and inner.attr
            in (
                "file",
                "stream",
            )
            and self._is_upload(inner.value)
        ):
            self.notes.add(f"body.{self.field}.{inner.attr}.read() -> body.{self.field}.read()")
            return call(attr(self._upload(), "read"))
        if (
            func.attr == "save"
            and isinstance(inner, ast.Attribute)
            and inner.attr in ("file", "stream")
            and self._is_upload(inner.value)
        ):
            inner = inner.value  # body.file.file.save(path): the upload's own save
        if func.attr == "save" and self._is_upload(inner) and len(node.args) == 1:
            self.notes.add(f"body.{self.field}.save(path) -> Path(path).write_bytes(...)")
            target = call(name_node("Path"), node.args[0])
            return call(attr(target, "write_bytes"), attr(self._upload(), "content"))
        return node

    def _is_upload(self, node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == self.field
            and isinstance(node.value, ast.Name)
            and node.value.id == "body"
        )
