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
    store.list(t) where every file is in a folder      ->  the folder's files as {name, size}
    todo_id = store.create(...) / {"id": store.create(...)}  ->  store.create(...)["id"]
    code = store.create(...) used only as a value       ->  store.create(...)["id"]
    store.get(table, id)["field"]                     ->  store.require(table, id)["field"]
    store.replace(table, id, {"role": r})             ->  store.update(table, id, {"role": r})
    return ApiError(404, "x") / return HTTPException(404)  ->  raise ApiError(404, ...)
    return jsonify(error="x"), 404 / Response("x", status=404)  ->  raise ApiError(404, "x")
    escape(text) (flask, markupsafe)                  ->  html.escape(text)
    run_command(...).stdout.decode()                  ->  run_command(...).stdout
    Reply(page, content_type="text/html")             ->  Reply(page)
    result.is_finite()                                ->  math.isfinite(result)
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
from http import HTTPStatus

from bdev.specfirst.fill.catches import drop_non_exceptions
from bdev.specfirst.fill.guards import drop_caller_checks, existence_tests
from bdev.specfirst.fill.habits import Inputs, RequestReads, UploadAccess, inputs_of, upload_field
from bdev.specfirst.fill.nodes import (
    argument,
    attr,
    call,
    dotted,
    is_store_call,
    name_node,
    name_of,
    subscript,
)
from bdev.specfirst.fill.rewrites import (
    ERROR_KEYS,
    PdfOutput,
    ResponseSettings,
    bytes_not_wrapped,
    caller_fields,
    caller_ids_as_int,
    counted_value,
    error_answers,
    escaped_values,
    folder_listing,
    ids_used_as_values,
    rows_keep_the_body,
    sort_order,
    submodule_imports,
    text_search,
    visible_rows,
)

__all__ = ["Inputs", "inputs_of", "repair", "upload_field"]  # what callers import from here

_FRAMEWORKS = frozenset(
    {"fastapi", "flask", "werkzeug", "starlette", "flask_login", "flask_jwt_extended"}
)
_ERRORS = frozenset({"HTTPException"})
_OUTPUTS = frozenset({"stdout", "stderr"})
_DECIDED_BY_ROUTE = frozenset({"content_type", "media_type", "mimetype", "status", "status_code"})
_WRAPPERS = frozenset(
    {
        "jsonify", "JSONResponse", "ORJSONResponse", "UJSONResponse", "make_response",
        "Response", "HTMLResponse", "PlainTextResponse",
    }
)  # fmt: skip
_REDIRECTS = frozenset({"redirect", "RedirectResponse", "Redirect"})
_FILE_SENDS = frozenset({"send_file", "FileResponse", "send_from_directory"})
# The skeleton's helpers, which a model sometimes calls as methods of the store.
_HELPERS = frozenset(
    {"run_command", "safe_join", "hash_password", "verify_password", "create_token", "seconds_up"}
)
# Pillow's filter names removed in Pillow 10, and the names the same filters have now.
_PILLOW_REMOVED = {"ANTIALIAS": "LANCZOS", "LINEAR": "BILINEAR", "CUBIC": "BICUBIC"}
# werkzeug.security's pair, as the skeleton's scrypt helpers (the check's arguments swap).
_PASSWORDS = {"generate_password_hash": "hash_password", "check_password_hash": "verify_password"}


def repair(
    body: list[str],
    upload: str | None = None,
    inputs: Inputs | None = None,
    folder: str | None = None,
) -> tuple[list[str], list[str]]:
    """The body with framework idioms rewritten, and one note per kind of rewrite.
    `upload`: the one file field of the handler's multipart body, if it has exactly one
    (`inputs.upload` when `inputs` are given); reads of Flask's `request` become the
    handler's parameters when `inputs` says which it has. `folder`: the setting of the
    folder that holds all the service's data (no store rows), for a read's listing."""
    source = "def _slot():\n" + textwrap.indent("\n".join(body), "    ")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return body, []  # compile() reports it with a better message
    fixer = _Fixer()
    fixer.visit(tree)
    upload = inputs.upload if inputs else upload
    if inputs:
        reads = RequestReads(inputs)
        reads.visit(tree)
        fixer.notes |= reads.notes
    if upload:
        uploads = UploadAccess(upload)
        uploads.visit(tree)
        fixer.notes |= uploads.notes
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    fixer.notes |= drop_non_exceptions(function)
    fixer.notes |= ids_used_as_values(function)
    fixer.notes |= existence_tests(function)
    if inputs and not inputs.principal:
        fixer.notes |= drop_caller_checks(function, operator=inputs.operator)
    fixer.notes |= ResponseSettings.apply(function)
    fixer.notes |= escaped_values(function)
    fixer.notes |= PdfOutput.apply(function)
    fixer.notes |= submodule_imports(function)
    if folder:
        fixer.notes |= folder_listing(function, folder)
    if inputs and inputs.file_reply:
        fixer.notes |= bytes_not_wrapped(function)
    if inputs and inputs.counter:
        fixer.notes |= _counted_field(function, inputs.counter)
    fixer.notes |= counted_value(function)
    if inputs and (inputs.hidden or inputs.required):
        fixer.notes |= visible_rows(function, inputs.hidden, inputs.required)
    if inputs and inputs.caller_table:
        fixer.notes |= caller_fields(function, inputs.caller_table)
    if inputs and inputs.int_caller:
        fixer.notes |= caller_ids_as_int(function)
    if inputs and inputs.creates_from:
        fixer.notes |= rows_keep_the_body(function, inputs.creates_from)
    if inputs and inputs.errors:
        fixer.notes |= error_answers(function, inputs.errors)
    if inputs and inputs.descending is not None:
        fixer.notes |= sort_order(function, inputs.descending)
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
        name = name_of(node.func)
        if name in _ERRORS:
            self.notes.add("HTTPException -> ApiError")
            return _api_error(node, status_kw="status_code", message_kw="detail")
        if name in _REDIRECTS:
            target = argument(node, 0, "url", "location")
            if target is not None:
                self.notes.add(f"{name}(url) -> url")
                return target
        if name in _FILE_SENDS:
            return self._file(node, name)
        if dotted(node.func) == "os.path.join" and len(node.args) >= 2 and not node.keywords:
            # A path joined from request data must stay inside its folder: safe_join is
            # os.path.join that answers 400 for a part that leaves it (`..`, `/etc`).
            self.notes.add("os.path.join -> safe_join")
            return ast.Call(func=name_node("safe_join"), args=node.args, keywords=[])
        if name == "Reply" and any(k.arg in _DECIDED_BY_ROUTE for k in node.keywords):
            # Reply(page, content_type="text/html", status=200): the route answers with the
            # documented media type and status (an error status was raised as an ApiError
            # by visit_Return); Reply takes content, headers and cookies.
            dropped = sorted(k.arg for k in node.keywords if k.arg in _DECIDED_BY_ROUTE)
            self.notes.add(f"Reply({', '.join(f'{d}=' for d in dropped)}...) -> Reply(...)")
            node.keywords = [k for k in node.keywords if k.arg not in _DECIDED_BY_ROUTE]
            return node
        func = node.func
        if name == "is_finite" and isinstance(func, ast.Attribute) and not node.args:
            # Only Decimal has .is_finite(); math.isfinite takes ints and floats too.
            self.notes.add("x.is_finite() -> math.isfinite(x)")
            return call(attr(name_node("math"), "isfinite"), func.value)
        output = func.value if isinstance(func, ast.Attribute) else None
        if name == "decode" and isinstance(output, ast.Attribute) and output.attr in _OUTPUTS:
            # run_command() (the only way a slot starts a program) answers text already.
            self.notes.add(f".{output.attr}.decode() -> .{output.attr} (already text)")
            return output
        on_store = isinstance(func, ast.Attribute) and name_of(func.value) == "store"
        if on_store and func.attr in _HELPERS:  # type: ignore[attr-defined]
            # `store.run_command([...])`: the skeleton's helpers are plain functions.
            helper = func.attr  # type: ignore[attr-defined]
            self.notes.add(f"store.{helper}(...) -> {helper}(...)")
            node.func = name_node(helper)
            return node
        if is_store_call(node, "list"):
            searched = text_search(node)
            if searched is not None:
                self.notes.add("store.list(filters={f: {'$regex': q}}) -> rows filtered in Python")
                return searched
        if is_store_call(node, "replace") and _fields_literal(node.args[2:]):
            # store.replace(t, id, {"role": r}) would drop every other field of the row.
            self.notes.add("store.replace(t, id, {fields}) -> store.update(...)")
            node.func.attr = "update"  # type: ignore[attr-defined]
            return node
        plain_escape = dotted(node.func) != "html.escape"
        if name == "escape" and plain_escape and len(node.args) == 1 and not node.keywords:
            # flask's and markupsafe's escape: the standard library's does the same here.
            self.notes.add("escape(x) -> html.escape(x)")
            return call(attr(name_node("html"), "escape"), node.args[0])
        if is_store_call(node, "get") and len(node.args) == 1 and len(node.keywords) == 1:
            # store.get("users", username=name): a lookup by field is find().
            field = node.keywords[0]
            if field.arg and field.arg != "id":
                self.notes.add("store.get(t, field=v) -> store.find(t, 'field', v)")
                args = [node.args[0], ast.Constant(field.arg), field.value]
                return ast.Call(func=attr(name_node("store"), "find"), args=args, keywords=[])
        if name == "secure_filename" and len(node.args) == 1:
            self.notes.add("secure_filename(x) -> Path(x).name")
            return attr(call(name_node("Path"), node.args[0]), "name")
        if name in _PASSWORDS and len(node.args) == 2 - (name == "generate_password_hash"):
            self.notes.add(f"{name} -> {_PASSWORDS[name]}")
            args = node.args if name == "generate_password_hash" else node.args[::-1]
            return ast.Call(func=name_node(_PASSWORDS[name]), args=args, keywords=[])
        if name in _WRAPPERS and len(node.args) == 1 and not node.keywords:
            self.notes.add(f"{name}(x) -> x")
            return node.args[0]
        if name in _WRAPPERS:
            content = argument(node, 0, "content", "response")
            if content is not None and not (name == "jsonify" and not node.args):
                headers = argument(node, None, "headers")
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
            folder, file = argument(node, 0, "directory"), argument(node, 1, "path", "filename")
            if folder is None or file is None:
                return node
            joined = call(name_node("safe_join"), folder, file)
            data: ast.expr = call(attr(joined, "read_bytes"))
            shown: ast.expr | None = file
        else:
            source = argument(node, 0, "path", "path_or_file")
            if source is None:
                return node
            if isinstance(source, ast.Call) and name_of(source.func) == "BytesIO" and source.args:
                data, shown = source.args[0], None
            else:
                data = call(attr(call(name_node("Path"), source), "read_bytes"))
                shown = attr(call(name_node("Path"), source), "name")
        download = argument(node, None, "download_name", "attachment_filename", "filename")
        attach = argument(node, None, "as_attachment")
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
        if name_of(left.func) == "safe_join":  # a chain: Path(a) / b / c
            return ast.Call(func=left.func, args=[*left.args, node.right], keywords=[])
        if name_of(left.func) == "Path" and len(left.args) == 1 and not left.keywords:
            self.notes.add("Path(folder) / name -> safe_join(folder, name)")
            args = [left.args[0], node.right]
            return ast.Call(func=name_node("safe_join"), args=args, keywords=[])
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # `except Exception: raise ApiError(500, ...)` would turn the body's own 404 (or
        # safe_join's 400) into a 500: an ApiError passes through first.
        self.generic_visit(node)
        broad = next((i for i, h in enumerate(node.handlers) if _catches_all(h)), None)
        if broad is not None and not any(_catches(h, "ApiError") for h in node.handlers[:broad]):
            self.notes.add("except Exception -> except ApiError: raise, first")
            passthrough = ast.ExceptHandler(
                type=name_node("ApiError"), name=None, body=[ast.Raise(exc=None, cause=None)]
            )
            node.handlers.insert(broad, passthrough)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        # `except HTTPException: raise`: what the body raises is an ApiError now.
        self.generic_visit(node)
        if isinstance(node.type, ast.Name) and node.type.id in _ERRORS:
            self.notes.add("except HTTPException -> except ApiError")
            node.type = name_node("ApiError")
        if _catches(node, "ApiError") and all(isinstance(s, ast.Return) for s in node.body):
            # `except ApiError as e: return {"error": str(e)}` answers the 404 as a 200.
            self.notes.add("except ApiError: return ... -> raise")
            node.body = [ast.Raise(exc=None, cause=None)]
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # Flask's `app.config["UPLOAD_DIR"]`: the service's settings are its environment.
        self.generic_visit(node)
        if node.attr == "config" and name_of(node.value) in ("app", "current_app"):
            self.notes.add("app.config[...] -> os.environ[...]")
            return attr(name_node("os"), "environ")
        if node.attr in _PILLOW_REMOVED and name_of(node.value) == "Image":
            # Pillow 10 removed the old filter names; the same filters have these names.
            self.notes.add(f"Image.{node.attr} -> Image.{_PILLOW_REMOVED[node.attr]}")
            node.attr = _PILLOW_REMOVED[node.attr]
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        # `store.get(t, id)["file"]`: a TypeError (500) for a missing row; it is a 404.
        self.generic_visit(node)
        if is_store_call(node.value, "get"):
            self.notes.add("store.get(...)[k] -> store.require(...)[k] (404 when missing)")
            node.value.func.attr = "require"  # type: ignore[attr-defined]
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        # `todo_id = store.create(...)`: create returns the row; the id is its "id".
        self.generic_visit(node)
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if names and all(_names_an_id(n) for n in names) and _is_store_create(node.value):
            self.notes.add("x_id = store.create(...) -> store.create(...)['id']")
            node.value = subscript(node.value, "id")
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        # {"id": store.create(...), ...}: the same mistake inside a reply.
        self.generic_visit(node)
        for i, (key, value) in enumerate(zip(node.keys, node.values, strict=True)):
            named = key.value if isinstance(key, ast.Constant) else None
            if isinstance(named, str) and _names_an_id(named) and _is_store_create(value):
                self.notes.add("{'id': store.create(...)} -> store.create(...)['id']")
                node.values[i] = subscript(value, "id")
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
        if isinstance(value, ast.Call) and name_of(value.func) == "ApiError":
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
        if isinstance(call, ast.Call) and name_of(call.func) == "abort" and call.args:
            self.notes.add("abort(status) -> raise ApiError(status, ...)")
            return ast.Raise(exc=_api_error(call, "code", "description"), cause=None)
        return node


def _counted_field(function: ast.FunctionDef, counter: str) -> set[str]:
    """`store.increment(t, key)` / `(t, key, by=1)` without the field counts the one
    integer field the operation answers (`visits` of `{"page", "visits"}`)."""
    notes: set[str] = set()
    for node in ast.walk(function):
        if not is_store_call(node, "increment"):
            continue
        assert isinstance(node, ast.Call)
        given = len(node.args) >= 3 or any(k.arg == "field" for k in node.keywords)
        if len(node.args) == 2 and not given:
            node.args.append(ast.Constant(counter))
            notes.add(f"store.increment(t, key) -> store.increment(t, key, {counter!r})")
    return notes


def _names_an_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "Id"))


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
    return is_store_call(node, "create")


def _reply(content: ast.expr, headers: ast.expr) -> ast.Call:
    keywords = [ast.keyword("headers", headers)]
    return ast.Call(func=ast.Name("Reply", ast.Load()), args=[content], keywords=keywords)


_RESPONSES = frozenset({*_WRAPPERS, "jsonify", "Reply"})


def _error_response(value: ast.expr | None) -> ast.Call | None:
    """`ApiError(status, message)` for a returned response whose status is a literal
    4xx/5xx: `(body, 404)`, `make_response(body, 404)`, `Response(text, status=404)`."""
    content: ast.expr | None = None
    status: ast.expr | None = None
    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
        content, status = value.elts
    elif isinstance(value, ast.Call) and name_of(value.func) in _RESPONSES:
        content = argument(value, 0, "content", "response", "body")
        status = argument(value, 1, "status", "status_code")
        if name_of(value.func) == "jsonify":
            status = None
    if not (isinstance(status, ast.Constant) and type(status.value) is int):
        return None
    if not 400 <= status.value <= 599:
        return None
    message = _message_of(content) or ast.Constant(_phrase(status))
    return ast.Call(func=name_node("ApiError"), args=[status, message], keywords=[])


def _message_of(content: ast.expr | None) -> ast.expr | None:
    """The message in an error body: a string, or the value under error/detail/message
    of a dict or `jsonify(...)` (itself possibly wrapped in a response)."""
    if isinstance(content, ast.Call) and name_of(content.func) in _RESPONSES:
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
            if isinstance(key, ast.Constant) and key.value in ERROR_KEYS:
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
