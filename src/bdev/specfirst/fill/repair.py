"""Mechanical repairs of a slot body before it is checked: a small model's web-framework
habits, rewritten into what the skeleton provides.

A 1.5B model writes handlers the way its training data does: `raise HTTPException(404,
"x")`, `abort(404)`, `return jsonify(row)`, `return JSONResponse(content=row)`, with the
framework imports they need. The route around the slot already does what those calls do,
and the checks refuse framework imports in a slot, so the model spends its retries on
them (on the held-out tasks, most refused bodies were refused only for this). These
idioms have one meaning each, so the program rewrites them instead of asking again:

    raise HTTPException(status_code=404, detail="x")  ->  raise ApiError(404, "x")
    abort(404)                                        ->  raise ApiError(404, "not found")
    return jsonify(row) / JSONResponse(content=row)   ->  return row
    return HTMLResponse(page, headers=h)              ->  return Reply(page, headers=h)
    return redirect(url) / RedirectResponse(url)      ->  return url
    send_file(path, as_attachment=True)               ->  Reply(Path(path).read_bytes(),
                                                           headers={"Content-Disposition": ...})
    send_from_directory(folder, name)                 ->  safe_join(folder, name).read_bytes()
    os.path.join(folder, name), Path(folder) / name   ->  safe_join(folder, name)
    todo_id = store.create(...) / {"id": store.create(...)}  ->  store.create(...)["id"]
    code = store.create(...) used only as a value       ->  store.create(...)["id"]
    store.get(table, id)["field"]                     ->  store.require(table, id)["field"]
    store.replace(table, id, {"role": r})             ->  store.update(table, id, {"role": r})
    return ApiError(404, "x") / return HTTPException(404)  ->  raise ApiError(404, ...)
    return jsonify(error="x"), 404 / Response("x", status=404)  ->  raise ApiError(404, "x")
    escape(text) (flask, markupsafe)                  ->  html.escape(text)
    app.config["UPLOAD_DIR"]                          ->  os.environ["UPLOAD_DIR"]
    store.get(table, username=name)                   ->  store.find(table, "username", name)
    secure_filename(name)                             ->  Path(name).name
    generate_password_hash(p) / check_password_hash(h, p)  ->  hash_password(p) /
                                                           verify_password(p, h)

Given the handler's inputs, a Flask view's reads of `request` become them too
(`request.get_json()` -> `body`, `request.args.get("q")` -> `q`).

A file path still goes through the checks after the rewrite: `Path(path).read_bytes()` is
refused unless `safe_join` built the path. Imports from web frameworks that nothing uses
afterwards are dropped. Anything else that needs a framework (a `request` read with no
counterpart, `UploadFile(...)`) is left for the checks to refuse.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from http import HTTPStatus

from bdev.specfirst.codegen.schemas import file_kind
from bdev.specfirst.fill.sinks import EXPRESSION_WORDS
from bdev.specfirst.plan import ServicePlan
from bdev.specfirst.shapes import merged_properties

_FRAMEWORKS = frozenset(
    {"fastapi", "flask", "werkzeug", "starlette", "flask_login", "flask_jwt_extended"}
)
_ERRORS = frozenset({"HTTPException"})
_WRAPPERS = frozenset(
    {
        "jsonify", "JSONResponse", "ORJSONResponse", "UJSONResponse", "make_response",
        "Response", "HTMLResponse", "PlainTextResponse",
    }
)  # fmt: skip
_REDIRECTS = frozenset({"redirect", "RedirectResponse"})
_FILE_SENDS = frozenset({"send_file", "FileResponse", "send_from_directory"})
# werkzeug.security's pair, as the skeleton's scrypt helpers (the check's arguments swap).
_PASSWORDS = {"generate_password_hash": "hash_password", "check_password_hash": "verify_password"}


@dataclass(frozen=True)
class Inputs:
    """What the handler is given: {wire name: parameter} for its query, header and cookie
    parameters, whether it takes a `body`, and the body's one file field (if one)."""

    params: dict[str, str] = field(default_factory=dict)
    body: bool = False
    upload: str | None = None
    principal: bool = False  # the route authenticated the caller
    evaluator: bool = False  # the operation evaluates an expression (its words say so)


def inputs_of(plan: ServicePlan, operation_id: str) -> Inputs:
    op = plan.operation(operation_id)
    params = {p.name: p.py_name for p in op.params if p.location != "path"}
    upload = upload_field(plan, operation_id)
    words = " ".join((op.operation_id, op.path, op.summary, op.description))
    evaluator = bool(EXPRESSION_WORDS.search(words))
    return Inputs(params, op.body is not None, upload, bool(op.security), evaluator)


def repair(
    body: list[str], upload: str | None = None, inputs: Inputs | None = None
) -> tuple[list[str], list[str]]:
    """The body with framework idioms rewritten, and one note per kind of rewrite.
    `upload`: the one file field of the handler's multipart body, if it has exactly one
    (`inputs.upload` when `inputs` are given); reads of Flask's `request` become the
    handler's parameters when `inputs` says which it has."""
    source = "def _slot():\n" + textwrap.indent("\n".join(body), "    ")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return body, []  # compile() reports it with a better message
    fixer = _Fixer()
    fixer.visit(tree)
    upload = inputs.upload if inputs else upload
    if inputs:
        reads = _RequestReads(inputs)
        reads.visit(tree)
        fixer.notes |= reads.notes
    if upload:
        uploads = _UploadAccess(upload)
        uploads.visit(tree)
        fixer.notes |= uploads.notes
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    fixer.notes |= _ids_used_as_values(function)
    fixer.notes |= _ResponseSettings.apply(function)
    fixer.notes |= _PdfOutput.apply(function)
    dropped = _drop_unused_framework_imports(function)
    if not fixer.notes and not dropped:
        return body, []
    ast.fix_missing_locations(tree)
    lines = [line.removeprefix("    ") for line in ast.unparse(function).splitlines()[1:]]
    notes = sorted(fixer.notes)
    if dropped:
        notes.append(f"dropped unused imports: {', '.join(dropped)}")
    return lines, notes


class _Fixer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.notes: set[str] = set()

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = _name(node.func)
        if name in _ERRORS:
            self.notes.add("HTTPException -> ApiError")
            return _api_error(node, status_kw="status_code", message_kw="detail")
        if name in _REDIRECTS:
            target = _argument(node, 0, "url", "location")
            if target is not None:
                self.notes.add(f"{name}(url) -> url")
                return target
        if name in _FILE_SENDS:
            return self._file(node, name)
        if _dotted(node.func) == "os.path.join" and len(node.args) >= 2 and not node.keywords:
            # A path joined from request data must stay inside its folder: safe_join is
            # os.path.join that answers 400 for a part that leaves it (`..`, `/etc`).
            self.notes.add("os.path.join -> safe_join")
            return ast.Call(func=_name_node("safe_join"), args=node.args, keywords=[])
        if _is_store_call(node, "list"):
            searched = _text_search(node)
            if searched is not None:
                self.notes.add("store.list(filters={f: {'$regex': q}}) -> rows filtered in Python")
                return searched
        if _is_store_call(node, "replace") and _fields_literal(node.args[2:]):
            # store.replace(t, id, {"role": r}) would drop every other field of the row.
            self.notes.add("store.replace(t, id, {fields}) -> store.update(...)")
            node.func.attr = "update"  # type: ignore[attr-defined]
            return node
        if name == "Reply" and any(k.arg in ("status", "status_code") for k in node.keywords):
            # Reply takes no status: the route answers with the documented one (an error
            # status was raised as an ApiError by visit_Return).
            self.notes.add("Reply(x, status=...) -> Reply(x)")
            node.keywords = [k for k in node.keywords if k.arg not in ("status", "status_code")]
            return node
        if name == "escape" and len(node.args) == 1 and not node.keywords:
            # flask's and markupsafe's escape: the standard library's does the same here.
            self.notes.add("escape(x) -> html.escape(x)")
            return _call(_attr(_name_node("html"), "escape"), node.args[0])
        if _is_store_call(node, "get") and len(node.args) == 1 and len(node.keywords) == 1:
            # store.get("users", username=name): a lookup by field is find().
            field = node.keywords[0]
            if field.arg and field.arg != "id":
                self.notes.add("store.get(t, field=v) -> store.find(t, 'field', v)")
                args = [node.args[0], ast.Constant(field.arg), field.value]
                return ast.Call(func=_attr(_name_node("store"), "find"), args=args, keywords=[])
        if name == "secure_filename" and len(node.args) == 1:
            self.notes.add("secure_filename(x) -> Path(x).name")
            return _attr(_call(_name_node("Path"), node.args[0]), "name")
        if name in _PASSWORDS and len(node.args) == 2 - (name == "generate_password_hash"):
            self.notes.add(f"{name} -> {_PASSWORDS[name]}")
            args = node.args if name == "generate_password_hash" else node.args[::-1]
            return ast.Call(func=_name_node(_PASSWORDS[name]), args=args, keywords=[])
        if name in _WRAPPERS and len(node.args) == 1 and not node.keywords:
            self.notes.add(f"{name}(x) -> x")
            return node.args[0]
        if name in _WRAPPERS:
            content = _argument(node, 0, "content", "response")
            if content is not None and not (name == "jsonify" and not node.args):
                headers = _argument(node, None, "headers")
                if headers is None:
                    self.notes.add(f"{name}(content=x) -> x")
                    return content
                self.notes.add(f"{name}(x, headers=h) -> Reply(x, headers=h)")
                return _reply(content, headers)
            if name == "jsonify" and all(k.arg for k in node.keywords):
                self.notes.add("jsonify(k=v) -> {'k': v}")
                keys: list[ast.expr | None] = [ast.Constant(k.arg) for k in node.keywords]
                return ast.Dict(keys=keys, values=[k.value for k in node.keywords])
        return node

    def _file(self, node: ast.Call, name: str) -> ast.AST:
        """A file sent by the framework becomes its bytes, with the attachment header
        when the call asked for one (`as_attachment`, or a download file name)."""
        if name == "send_from_directory":
            folder, file = _argument(node, 0, "directory"), _argument(node, 1, "path", "filename")
            if folder is None or file is None:
                return node
            joined = _call(_name_node("safe_join"), folder, file)
            data: ast.expr = _call(_attr(joined, "read_bytes"))
            shown: ast.expr | None = file
        else:
            source = _argument(node, 0, "path", "path_or_file")
            if source is None:
                return node
            if isinstance(source, ast.Call) and _name(source.func) == "BytesIO" and source.args:
                data, shown = source.args[0], None
            else:
                data = _call(_attr(_call(_name_node("Path"), source), "read_bytes"))
                shown = _attr(_call(_name_node("Path"), source), "name")
        download = _argument(node, None, "download_name", "attachment_filename", "filename")
        attach = _argument(node, None, "as_attachment")
        wants = download is not None or (isinstance(attach, ast.Constant) and attach.value is True)
        self.notes.add(f"{name}(...) -> its bytes" + (" as an attachment" if wants else ""))
        if not wants:
            return data
        label = download if download is not None else shown
        if label is None:
            disposition: ast.expr = ast.Constant("attachment")
        else:
            disposition = ast.JoinedStr(
                [
                    ast.Constant('attachment; filename="'),
                    ast.FormattedValue(label, -1, None),
                    ast.Constant('"'),
                ]
            )
        headers = ast.Dict(keys=[ast.Constant("Content-Disposition")], values=[disposition])
        return _reply(data, headers)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        # `Path(folder) / name` joins like os.path.join, and is rewritten the same way.
        self.generic_visit(node)
        left = node.left
        if not isinstance(node.op, ast.Div) or not isinstance(left, ast.Call):
            return node
        if _name(left.func) == "safe_join":  # a chain: Path(a) / b / c
            return ast.Call(func=left.func, args=[*left.args, node.right], keywords=[])
        if _name(left.func) == "Path" and len(left.args) == 1 and not left.keywords:
            self.notes.add("Path(folder) / name -> safe_join(folder, name)")
            args = [left.args[0], node.right]
            return ast.Call(func=_name_node("safe_join"), args=args, keywords=[])
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # `except Exception: raise ApiError(500, ...)` would turn the body's own 404 (or
        # safe_join's 400) into a 500: an ApiError passes through first.
        self.generic_visit(node)
        broad = next((i for i, h in enumerate(node.handlers) if _catches_all(h)), None)
        if broad is not None and not any(_catches(h, "ApiError") for h in node.handlers[:broad]):
            self.notes.add("except Exception -> except ApiError: raise, first")
            passthrough = ast.ExceptHandler(
                type=_name_node("ApiError"), name=None, body=[ast.Raise(exc=None, cause=None)]
            )
            node.handlers.insert(broad, passthrough)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        # `except HTTPException: raise`: what the body raises is an ApiError now.
        self.generic_visit(node)
        if isinstance(node.type, ast.Name) and node.type.id in _ERRORS:
            self.notes.add("except HTTPException -> except ApiError")
            node.type = _name_node("ApiError")
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # Flask's `app.config["UPLOAD_DIR"]`: the service's settings are its environment.
        self.generic_visit(node)
        if node.attr == "config" and _name(node.value) in ("app", "current_app"):
            self.notes.add("app.config[...] -> os.environ[...]")
            return _attr(_name_node("os"), "environ")
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # `store.get(t, id)["file"]`: a TypeError (500) for a missing row; it is a 404.
        self.generic_visit(node)
        if _is_store_call(node.value, "get"):
            self.notes.add("store.get(...)[k] -> store.require(...)[k] (404 when missing)")
            node.value.func.attr = "require"  # type: ignore[attr-defined]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        # `todo_id = store.create(...)`: create returns the row; the id is its "id".
        self.generic_visit(node)
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if names and all(_names_an_id(n) for n in names) and _is_store_create(node.value):
            self.notes.add("x_id = store.create(...) -> store.create(...)['id']")
            node.value = _subscript(node.value, "id")
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        # {"id": store.create(...), ...}: the same mistake inside a reply.
        self.generic_visit(node)
        for i, (key, value) in enumerate(zip(node.keys, node.values, strict=True)):
            named = key.value if isinstance(key, ast.Constant) else None
            if isinstance(named, str) and _names_an_id(named) and _is_store_create(value):
                self.notes.add("{'id': store.create(...)} -> store.create(...)['id']")
                node.values[i] = _subscript(value, "id")
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        # An error answered as a response (`return jsonify(error="x"), 404`,
        # `Response("x", status=404)`) is an ApiError: the route shapes the error body.
        failure = _error_response(node.value)
        if failure is not None:
            self.notes.add("return <error response> -> raise ApiError(...)")
            return ast.Raise(exc=self.visit(failure), cause=None)
        # Flask's `return body, 201`: the route already answers with the documented status.
        self.generic_visit(node)
        value = node.value
        if isinstance(value, ast.Call) and _name(value.func) == "ApiError":
            # `return ApiError(404, ...)` answers 500 with an exception object: it is raised.
            self.notes.add("return ApiError(...) -> raise ApiError(...)")
            return ast.Raise(exc=value, cause=None)
        if isinstance(value, ast.Tuple) and len(value.elts) == 2:
            status = value.elts[1]
            if (
                isinstance(status, ast.Constant)
                and type(status.value) is int
                and (100 <= status.value <= 599)
            ):
                self.notes.add("return x, status -> return x")
                return ast.Return(value=value.elts[0])
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        # A bare `abort(404)` statement raises; so does its replacement.
        self.generic_visit(node)
        call = node.value
        if isinstance(call, ast.Call) and _name(call.func) == "abort" and call.args:
            self.notes.add("abort(status) -> raise ApiError(status, ...)")
            return ast.Raise(exc=_api_error(call, "code", "description"), cause=None)
        return node


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


class _RequestReads(ast.NodeTransformer):
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
        if self.inputs.evaluator and _dotted(func) in ("eval", "builtins.eval") and node.args:
            # An expression evaluator's eval(text): the safe evaluator of arithmetic.
            self.notes.add("eval(text) -> evaluate_arithmetic(text)")
            return _call(_name_node("evaluate_arithmetic"), node.args[0])
        if _name(func) in _IDENTITY_CALLS and not node.args and self.inputs.principal:
            self.notes.add(f"{_name(func)}() -> principal['sub']")
            return _subscript(_name_node("principal"), "sub")
        if _request_part(func) in _JSON_READS and self.inputs.body:
            self.notes.add("request.get_json() -> body")
            return _name_node("body")
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
                return _subscript(_name_node("principal"), "sub")
            if node.attr == "is_authenticated":
                self.notes.add("current_user.is_authenticated -> principal is not None")
                return ast.Compare(_name_node("principal"), [ast.IsNot()], [ast.Constant(None)])
        if _request_part(node) == "json" and self.inputs.body:
            self.notes.add("request.json -> body")
            return _name_node("body")
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
            found = _attr(_name_node("body"), self.inputs.upload)
        elif key in self.inputs.params:
            found = _name_node(self.inputs.params[key])
        elif part in ("form", "values") and self.inputs.body:
            extra = [default] if default is not None else []
            self.notes.add(f"request.{part}[...] -> the handler's input")
            return _call(_attr(_name_node("body"), "get"), ast.Constant(key), *extra)
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


class _UploadAccess(ast.NodeTransformer):
    """`body.filename` (the upload object taken for the body) -> `body.file.filename`;
    `.file.read()` / `.stream.read()` -> `.read()`; `.size` -> `len(.content)`;
    `.save(path)` -> `Path(path).write_bytes(.content)` (the path checks still apply)."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.notes: set[str] = set()

    def _upload(self) -> ast.expr:
        return _attr(_name_node("body"), self.field)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        owner = node.value
        on_body = isinstance(owner, ast.Name) and owner.id == "body"
        if on_body and node.attr != self.field and node.attr in {*_UPLOAD_ATTRIBUTES, "read"}:
            self.notes.add(f"body.{node.attr} -> body.{self.field}.{node.attr}")
            return _attr(self._upload(), _UPLOAD_ATTRIBUTES.get(node.attr, node.attr))
        if self._is_upload(owner) and node.attr in ("mimetype", "content_type"):
            return _attr(self._upload(), "content_type")
        if self._is_upload(owner) and node.attr in ("size", "filesize", "content_length"):
            self.notes.add(f"body.{self.field}.size -> len(body.{self.field}.content)")
            return _call(_name_node("len"), _attr(self._upload(), "content"))
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if _dotted(func).rsplit(".", 1)[-1] in _STREAM_READERS or _dotted(func) in _OPENERS:
            # ZipFile(body.file) / Image.open(body.file.stream): a reader of file objects
            # given the upload; its bytes as a stream are what it needs.
            for i, arg in enumerate(node.args[:1]):
                if self._is_upload(arg) or (
                    isinstance(arg, ast.Attribute)
                    and arg.attr in ("content", "stream", "file")
                    and self._is_upload(arg.value)
                ):
                    self.notes.add(f"{_dotted(func)}(upload) -> {_dotted(func)}(BytesIO(...))")
                    stream = _call(_name_node("BytesIO"), _attr(self._upload(), "content"))
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
            return _call(_attr(self._upload(), "read"))
        if (
            func.attr == "save"
            and isinstance(inner, ast.Attribute)
            and inner.attr in ("file", "stream")
            and self._is_upload(inner.value)
        ):
            inner = inner.value  # body.file.file.save(path): the upload's own save
        if func.attr == "save" and self._is_upload(inner) and len(node.args) == 1:
            self.notes.add(f"body.{self.field}.save(path) -> Path(path).write_bytes(...)")
            target = _call(_name_node("Path"), node.args[0])
            return _call(_attr(target, "write_bytes"), _attr(self._upload(), "content"))
        return node

    def _is_upload(self, node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == self.field
            and isinstance(node.value, ast.Name)
            and node.value.id == "body"
        )


_RESPONSE_ATTRIBUTES = frozenset({"status_code", "status", "mimetype", "content_type"})


class _ResponseSettings(ast.NodeTransformer):
    """A Flask/Starlette response's settings made on a plain value: `response =
    {"id": 1}` then `response.headers["X-Total"] = "3"`, `response.status_code = 201`,
    `response.set_cookie("sid", v)` (AttributeError on a dict: a 500). The status and
    content type are the route's (from the spec), so those lines go; other headers and
    cookies go into a `Reply` around the returned value."""

    def __init__(self, replies: set[str]) -> None:
        self.replies = replies  # names bound to a Reply(...): their settings are real
        self.headers: dict[str, list[tuple[ast.expr, ast.expr]]] = {}
        self.cookies: dict[str, list[tuple[ast.expr, ast.expr]]] = {}
        self.notes: set[str] = set()

    @classmethod
    def apply(cls, function: ast.FunctionDef) -> set[str]:
        replies = {
            t.id
            for n in ast.walk(function)
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and _name(n.value.func) == "Reply"
            for t in n.targets if isinstance(t, ast.Name)
        }  # fmt: skip
        fixer = cls(replies)
        fixer.visit(function)
        if fixer.notes:
            _fill_empty_blocks(function)
            fixer.visit_returns(function)
        return fixer.notes

    def _owner(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id not in self.replies:
            return node.id
        return None

    def visit_Assign(self, node: ast.Assign) -> ast.AST | None:
        if len(node.targets) != 1:
            return node
        target = node.targets[0]
        if (
            isinstance(target, ast.Attribute)
            and target.attr in _RESPONSE_ATTRIBUTES
            and self._owner(target.value)
        ):
            self.notes.add(f"x.{target.attr} = ... on a value: dropped (the route's)")
            return None
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Attribute)
            and target.value.attr == "headers"
            and (owner := self._owner(target.value.value))
        ):
            key = target.slice
            if isinstance(key, ast.Constant) and str(key.value).lower() == "content-type":
                self.notes.add("x.headers['Content-Type'] = ... on a value: dropped")
                return None
            self.headers.setdefault(owner, []).append((key, node.value))
            self.notes.add("x.headers[k] = v on a value -> Reply(x, headers={k: v})")
            return None
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "set_cookie"
            and len(call.args) >= 2
            and (owner := self._owner(call.func.value))
        ):
            self.cookies.setdefault(owner, []).append((call.args[0], call.args[1]))
            self.notes.add("x.set_cookie(k, v) on a value -> Reply(x, cookies={k: v})")
            return None
        return node

    def visit_returns(self, function: ast.FunctionDef) -> None:
        for node in ast.walk(function):
            if not (isinstance(node, ast.Return) and isinstance(node.value, ast.Name)):
                continue
            name = node.value.id
            if name not in self.headers and name not in self.cookies:
                continue
            keywords = []
            for word, pairs in (("headers", self.headers), ("cookies", self.cookies)):
                if pairs.get(name):
                    keys, values = zip(*pairs[name], strict=True)
                    keywords.append(ast.keyword(word, ast.Dict(list(keys), list(values))))
            node.value = ast.Call(func=_name_node("Reply"), args=[node.value], keywords=keywords)


class _PdfOutput(ast.NodeTransformer):
    """The PDF's bytes from fpdf2, written in the older PyFPDF's terms, which is what a
    small model knows: `pdf.output(dest="S").encode("latin-1")` and `pdf.output(buf,
    "S")` fail under fpdf2 (the package installed), where `pdf.output()` returns the
    bytes. Only on a name made by `FPDF(...)`."""

    def __init__(self, pdfs: set[str]) -> None:
        self.pdfs = pdfs
        self.notes: set[str] = set()

    @classmethod
    def apply(cls, function: ast.FunctionDef) -> set[str]:
        pdfs = {
            t.id
            for n in ast.walk(function)
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and _name(n.value.func) == "FPDF"
            for t in n.targets if isinstance(t, ast.Name)
        }  # fmt: skip
        if not pdfs:
            return set()
        fixer = cls(pdfs)
        fixer.visit(function)
        return fixer.notes

    def _output(self, node: ast.expr) -> ast.Call | None:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "output"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.pdfs
        ):
            return node
        return None

    def _bytes(self, call: ast.Call) -> ast.Call:
        self.notes.add("pdf.output(...) (PyFPDF) -> bytes(pdf.output()) (fpdf2)")
        return _call(_name_node("bytes"), ast.Call(func=call.func, args=[], keywords=[]))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        inner = self._output(node.args[0]) if len(node.args) == 1 else None
        if _name(func) == "bytes" and inner is not None and not (inner.args or inner.keywords):
            return node  # bytes(pdf.output()): already fpdf2's way
        if isinstance(func, ast.Attribute) and func.attr == "encode":
            encoded = self._output(func.value)  # .output(dest="S").encode("latin-1")
            if encoded is not None:
                return self._bytes(encoded)
        self.generic_visit(node)
        call = self._output(node)
        if call is None:
            return node
        target = call.args[0] if call.args else None
        if isinstance(target, ast.Name):  # pdf.output(buffer, "S"): into the buffer
            return _call(_attr(target, "write"), self._bytes(call))
        return self._bytes(call)


def _fill_empty_blocks(function: ast.FunctionDef) -> None:
    """A `pass` in each block a dropped statement left empty."""
    for node in ast.walk(function):
        if getattr(node, "body", None) == []:  # `orelse` and `finalbody` may be empty
            node.body.append(ast.Pass())  # type: ignore[attr-defined]


def _ids_used_as_values(function: ast.FunctionDef) -> set[str]:
    """`code = store.create(...)`, then `code` only ever used as a value (in the reply,
    an f-string, a comparison): the model took create to return the new key. It returns
    the row, so such a name gets the row's "id". A name also read as a row (`x["url"]`,
    `x.get`, returned whole, unpacked) is left alone."""
    created: dict[str, list[ast.Assign]] = {}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _is_store_create(node.value)
        ):
            created.setdefault(node.targets[0].id, []).append(node)
    if not created:
        return set()
    as_row: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(function):
        for child in ast.iter_child_nodes(node):
            if not (isinstance(child, ast.Name) and child.id in created):
                continue
            if isinstance(child.ctx, ast.Load):
                used.add(child.id)
            if _reads_a_row(node, child):
                as_row.add(child.id)
        if isinstance(node, ast.Assign) and not _is_store_create(node.value):
            # Assigned something else as well: not clearly the create's result.
            as_row |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id in created}
    notes: set[str] = set()
    for name in sorted(used - as_row):
        for assign in created[name]:
            assign.value = _subscript(assign.value, "id")
        notes.add(f"{name} = store.create(...) used as a value -> store.create(...)['id']")
    return notes


def _reads_a_row(parent: ast.AST, name: ast.Name) -> bool:
    if isinstance(parent, ast.Subscript | ast.Attribute) and parent.value is name:
        return True
    if isinstance(parent, ast.Return | ast.Starred):
        return True
    if isinstance(parent, ast.Dict):  # {**row}
        return any(k is None and v is name for k, v in zip(parent.keys, parent.values, strict=True))
    if isinstance(parent, ast.keyword) and parent.arg is None:  # f(**row)
        return True
    return isinstance(parent, ast.Call) and _name(parent.func) in {"dict", "dump", "Reply"}


def _names_an_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "Id"))


# Query-language text matches a model writes into the store's {field: value} filters.
_MATCH_OPERATORS = {"$regex": False, "$like": True, "like": True, "$ilike": True,
                    "ilike": True, "$contains": False, "contains": False,
                    "$icontains": True, "icontains": True}  # fmt: skip
_MATCH_SUFFIXES = {"__icontains": True, "__contains": False, "__iexact": True}


def _text_search(call: ast.Call) -> ast.expr | None:
    """`store.list(t, filters={"title": {"$regex": q, "$options": "i"}})` (or Django's
    `{"title__icontains": q}`) as what it means: the rows whose title contains q, matched
    in Python as plain text (the store's filters are exact values). The same text sought
    in several fields matches any of them. None when the filters hold no such match."""
    given = next((k for k in call.keywords if k.arg == "filters"), None)
    if given is None or not isinstance(given.value, ast.Dict):
        return None
    exact_keys: list[ast.expr | None] = []
    exact_values: list[ast.expr] = []
    by_text: dict[str, list[ast.expr]] = {}  # the same text sought in several fields
    for key, value in zip(given.value.keys, given.value.values, strict=True):
        name = key.value if isinstance(key, ast.Constant) else None
        match = _match_of(name, value) if isinstance(name, str) else None
        if match is None:
            exact_keys.append(key)
            exact_values.append(value)
            continue
        field, text, folded = match
        by_text.setdefault(ast.dump(text), []).append(_contains(field, text, folded))
    if not by_text:
        return None
    # One text in several fields is a search across them (title or body); different
    # texts must each match.
    tests = [t[0] if len(t) == 1 else ast.BoolOp(ast.Or(), t) for t in by_text.values()]
    keywords = [k for k in call.keywords if k.arg != "filters"]
    if exact_keys:
        keywords.append(ast.keyword("filters", ast.Dict(exact_keys, exact_values)))
    rows = ast.Call(func=call.func, args=call.args, keywords=keywords)
    test = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)
    loop = ast.comprehension(target=ast.Name("_row", ast.Store()), iter=rows, ifs=[test],
                             is_async=0)  # fmt: skip
    return ast.ListComp(elt=_name_node("_row"), generators=[loop])


def _match_of(name: str, value: ast.expr) -> tuple[str, ast.expr, bool] | None:
    """(field, text, case-folded) of one text-match filter entry."""
    for suffix, folded in _MATCH_SUFFIXES.items():
        if name.endswith(suffix):
            return name[: -len(suffix)], _plain_text(value), folded
    if not isinstance(value, ast.Dict):
        return None
    ops = {k.value: v for k, v in zip(value.keys, value.values, strict=True)
           if isinstance(k, ast.Constant)}  # fmt: skip
    for op, folded in _MATCH_OPERATORS.items():
        if op in ops:
            options = ops.get("$options")
            folded = folded or (isinstance(options, ast.Constant) and "i" in str(options.value))
            return name, _plain_text(ops[op]), folded
    return None


def _plain_text(value: ast.expr) -> ast.expr:
    """The text a pattern matches, without its `.*` / `%` ends (f".*{q}.*" -> q)."""
    if isinstance(value, ast.JoinedStr):
        parts = [p for p in value.values if not _wildcard(p)]
        if len(parts) == 1 and isinstance(parts[0], ast.FormattedValue):
            return parts[0].value
        return ast.JoinedStr(parts)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return ast.Constant(value.value.strip("%").removeprefix(".*").removesuffix(".*"))
    return value


def _wildcard(part: ast.expr) -> bool:
    return isinstance(part, ast.Constant) and str(part.value).strip(".*%") == ""


def _contains(field: str, text: ast.expr, folded: bool) -> ast.expr:
    """`str(q).lower() in str(_row.get(field) or "").lower()` (without .lower(): exact)."""
    needle: ast.expr = _call(_name_node("str"), text)
    got = ast.Call(func=_attr(_name_node("_row"), "get"), args=[ast.Constant(field)], keywords=[])
    hay: ast.expr = _call(_name_node("str"), ast.BoolOp(ast.Or(), [got, ast.Constant("")]))
    if folded:
        needle, hay = _call(_attr(needle, "lower")), _call(_attr(hay, "lower"))
    return ast.Compare(left=needle, ops=[ast.In()], comparators=[hay])


def _catches_all(handler: ast.ExceptHandler) -> bool:
    return handler.type is None or any(
        _catches(handler, name) for name in ("Exception", "BaseException")
    )


def _catches(handler: ast.ExceptHandler, name: str) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id == name for k in kinds)


def _fields_literal(args: list[ast.expr]) -> bool:
    """One `{"field": value, ...}` literal (no `**row` in it)."""
    return len(args) == 1 and isinstance(args[0], ast.Dict) and None not in args[0].keys


def _is_store_create(node: ast.expr) -> bool:
    return _is_store_call(node, "create")


def _is_store_call(node: ast.expr, method: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "store"
    )


def _subscript(value: ast.expr, key: str) -> ast.Subscript:
    return ast.Subscript(value=value, slice=ast.Constant(key), ctx=ast.Load())


def _argument(call: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
    """The call's argument at `position`, or the first of the `keywords` it was given."""
    if position is not None and len(call.args) > position:
        arg = call.args[position]
        return None if isinstance(arg, ast.Starred) else arg
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def _reply(content: ast.expr, headers: ast.expr) -> ast.Call:
    keywords = [ast.keyword("headers", headers)]
    return ast.Call(func=ast.Name("Reply", ast.Load()), args=[content], keywords=keywords)


def _name_node(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _attr(value: ast.expr, attr: str) -> ast.Attribute:
    return ast.Attribute(value, attr, ast.Load())


def _call(func: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(func=func, args=list(args), keywords=[])


_RESPONSES = frozenset({*_WRAPPERS, "jsonify", "Reply"})


def _error_response(value: ast.expr | None) -> ast.Call | None:
    """`ApiError(status, message)` for a returned response whose status is a literal
    4xx/5xx: `(body, 404)`, `make_response(body, 404)`, `Response(text, status=404)`."""
    content: ast.expr | None = None
    status: ast.expr | None = None
    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
        content, status = value.elts
    elif isinstance(value, ast.Call) and _name(value.func) in _RESPONSES:
        content = _argument(value, 0, "content", "response", "body")
        status = _argument(value, 1, "status", "status_code")
        if _name(value.func) == "jsonify":
            status = None
    if not (isinstance(status, ast.Constant) and type(status.value) is int):
        return None
    if not 400 <= status.value <= 599:
        return None
    message = _message_of(content) or ast.Constant(_phrase(status))
    return ast.Call(func=_name_node("ApiError"), args=[status, message], keywords=[])


def _message_of(content: ast.expr | None) -> ast.expr | None:
    """The message in an error body: a string, or the value under error/detail/message
    of a dict or `jsonify(...)` (itself possibly wrapped in a response)."""
    if isinstance(content, ast.Call) and _name(content.func) in _RESPONSES:
        if content.keywords and not content.args:  # jsonify(error="x")
            keys = [ast.Constant(k.arg) for k in content.keywords]
            content = ast.Dict(keys=list(keys), values=[k.value for k in content.keywords])
        else:
            content = content.args[0] if content.args else None
    if isinstance(content, ast.Constant) and isinstance(content.value, str):
        return content
    if isinstance(content, ast.JoinedStr):
        return content
    if isinstance(content, ast.Dict):
        for key, item in zip(content.keys, content.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in ("error", "detail", "message"):
                return item
    return None


def _api_error(call: ast.Call, status_kw: str, message_kw: str) -> ast.Call:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    status = call.args[0] if call.args else keywords.get(status_kw, ast.Constant(500))
    message = call.args[1] if len(call.args) > 1 else keywords.get(message_kw)
    if message is None:
        message = ast.Constant(_phrase(status))
    return ast.Call(func=ast.Name("ApiError", ast.Load()), args=[status, message], keywords=[])


def _phrase(status: ast.expr) -> str:
    """The standard reason phrase of a literal status ("not found"), else "error"."""
    if isinstance(status, ast.Constant) and isinstance(status.value, int):
        try:
            return HTTPStatus(status.value).phrase.lower()
        except ValueError:
            pass
    return "error"


def _dotted(func: ast.expr) -> str:
    """`os.path.join` for that attribute chain; "" for anything else."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ""
    return ".".join([func.id, *reversed(parts)])


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _drop_unused_framework_imports(function: ast.FunctionDef) -> list[str]:
    """Remove `from fastapi import X` (and the like) when X is no longer used."""
    used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
    used |= {n.value.id for n in ast.walk(function) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name)}  # fmt: skip
    dropped: list[str] = []
    kept: list[ast.stmt] = []
    for statement in function.body:
        module = _framework_module(statement)
        if module is None:
            kept.append(statement)
            continue
        assert isinstance(statement, ast.Import | ast.ImportFrom)
        names = [a for a in statement.names if (a.asname or a.name).split(".")[0] in used]
        dropped += [a.name for a in statement.names if a not in names]
        if names:
            statement.names = names
            kept.append(statement)
    function.body = kept or [ast.Pass()]
    return dropped


def _framework_module(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
        top = statement.module.split(".")[0]
    elif isinstance(statement, ast.Import) and len(statement.names) == 1:
        top = statement.names[0].name.split(".")[0]
    else:
        return None
    return top if top in _FRAMEWORKS else None
