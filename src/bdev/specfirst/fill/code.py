"""Getting a function body out of a model's answer and splicing it into its slot.

The signature and docstring in the file are the skeleton's and stay as they are (the
route calls the handler with exactly those keyword arguments); only the body changes.
The slot's marker comment stays on the first body line, so a slot can be found and
re-filled after it was written.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from bdev.specfirst.codegen.slots import PROVIDED_NAMES, Slot
from bdev.specfirst.fill.nodes import is_docstring
from bdev.specfirst.fill.stray import is_scaffolding

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)


class CodeError(Exception):
    """The answer holds no usable code; the message is written for the model."""


# A status constant (`status.HTTP_404_NOT_FOUND`, or the `422_UNPROCESSABLE_ENTITY` a small
# model makes of it, which does not even parse) is its number.
_STATUS_NAME = re.compile(r"\b(?:status\.)?(?:HTTP_)?([1-5]\d\d)_[A-Z][A-Z_]*\b")


def extract_code(answer: str) -> str:
    """The code of the first fenced block (an unclosed fence counts), or the bare answer,
    with status constants as their numbers."""
    match = _FENCE.search(answer)
    code = match.group(1) if match else answer
    if not code.strip():
        raise CodeError("Your answer held no code. Reply with the function in a ```python block.")
    return _STATUS_NAME.sub(r"\1", code)


@dataclass(frozen=True)
class Route:
    """Where the slot's operation is served: a whole-app answer's view for it is found by
    its path (`/links/{code}`) and the path parameters' names in the handler, in order."""

    method: str
    path: str
    params: tuple[str, ...] = ()


def body_from(
    code: str,
    name: str,
    defined: frozenset[str] = PROVIDED_NAMES,
    route: Route | None = None,
) -> list[str]:
    """The statements to put in the slot (unindented lines) from the model's code.

    The model may answer with the whole function (the usual case), a body alone, or a
    function plus helpers and imports: everything but the target function's own
    header moves inside the body, so the spliced code stays one self-contained region.
    Its own versions of names the skeleton `defined` (helpers, the body's model class)
    are dropped: the skeleton's are the real ones.

    A small model often answers with a whole web app. Its view for the slot's `route`
    (matched by name, else by path) is the function; the app around it (other views,
    `app = Flask(...)`, the `__main__` block) is dropped, since the skeleton serves every
    route. A view's own names for the path parameters are bound to the handler's.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError as first:
        # A bare body with `return` does not parse as a module; try it as a body.
        wrapped = "def _slot():\n" + textwrap.indent(textwrap.dedent(code), "    ")
        try:
            ast.parse(wrapped)
        except SyntaxError:
            raise CodeError(_syntax_message(first, code)) from None
        return _trim(textwrap.dedent(code).splitlines())
    lines = code.splitlines()
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    target = next((f for f in functions if f.name == name), None)
    if target is None and route is not None:
        target = next((f for f in functions if _serves(f, route)), None)
    if target is None and len(functions) == 1 and not _has_code_outside(tree, functions[0]):
        target = functions[0]
    if target is None:
        return _trim(textwrap.dedent(code).splitlines())
    aliases = _path_aliases(target, route) if is_scaffolding(target) and route else []
    if isinstance(target, ast.AsyncFunctionDef):
        return _trim([*aliases, *_sync_body(target, name)])
    statements = target.body
    if is_docstring(statements[0]) and len(statements) > 1:
        statements = statements[1:]
    if any(_redefines(st, defined) for st in statements):
        kept = [st for st in statements if not _redefines(st, defined)] or statements
        segments = [ast.get_source_segment(code, st, padded=True) or "" for st in kept]
        own_lines = textwrap.dedent("\n".join(segments)).splitlines()
    else:
        own = textwrap.dedent("\n".join(lines[statements[0].lineno - 1 : target.end_lineno]))
        own_lines = own.splitlines()
    prelude: list[str] = [*aliases]
    for node in tree.body:
        if node is target or is_docstring(node) or _imports_skeleton(node):
            continue
        if is_scaffolding(node) and target is not None and is_scaffolding(target):
            continue
        if _redefines(node, defined):
            continue
        segment = ast.get_source_segment(code, node, padded=False) or ""
        prelude += [*textwrap.dedent(segment).splitlines(), ""]
    return _trim([*prelude, *own_lines])


def _serves(function: ast.FunctionDef | ast.AsyncFunctionDef, route: Route) -> bool:
    """Whether a view's route decorator names the operation's path (and method, when it
    says one): `@app.route("/<code>")`, `@app.get("/links/{code}")`."""
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and decorator.args):
            continue
        path = decorator.args[0]
        if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
            continue
        if _path_shape(path.value) != _path_shape(route.path):
            continue
        verb = decorator.func.attr if isinstance(decorator.func, ast.Attribute) else ""
        methods = _methods(decorator) if verb in ("route", "api_route") else {verb.upper()}
        if not methods or route.method.upper() in methods:
            return True
    return False


def _path_shape(path: str) -> str:
    """`/links/<int:code>` and `/links/{code}` alike: `/links/{}`."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path.rstrip("/") or "/")


def _methods(decorator: ast.Call) -> set[str]:
    for keyword in decorator.keywords:
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List | ast.Tuple):
            return {
                e.value.upper()
                for e in keyword.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    return {"GET"}


def _path_aliases(function: ast.FunctionDef | ast.AsyncFunctionDef, route: Route) -> list[str]:
    """`short = code` when the view calls the handler's `code` parameter `short` (a view
    taking only the path's parameters, in the path's order, as Flask passes them)."""
    names = [a.arg for a in function.args.args]
    if len(names) != len(route.params):
        return []
    pairs = zip(names, route.params, strict=True)
    return [f"{mine} = {theirs}" for mine, theirs in pairs if mine != theirs]


class _DropAwait(ast.NodeTransformer):
    """`await store.get(...)` -> `store.get(...)`: the skeleton and its helpers are
    synchronous, and so is an Upload's `read()`. An awaited call of a real async library
    is left to the import checks (none is installed for the service)."""

    def visit_Await(self, node: ast.Await) -> ast.AST:
        if isinstance(node.value, ast.Call):
            return self.generic_visit(node.value)
        return node


def _sync_body(function: ast.AsyncFunctionDef, name: str) -> list[str]:
    """The body of an `async def` (small models write them for web handlers) as plain
    code, when every `await` is on a call to something synchronous."""
    function = _DropAwait().visit(function)
    if any(isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for n in ast.walk(function)):
        raise CodeError(f"Write `def {name}(...)` without await: the store is synchronous.")
    statements = function.body
    if is_docstring(statements[0]) and len(statements) > 1:
        statements = statements[1:]
    return "\n".join(ast.unparse(s) for s in statements).splitlines()


def indent_first_line(continuation: str) -> str:
    """A body the model wrote after the `def` line it was given, with its first line at
    the body's indent. Its first token is a word (` if`, `return`): a model continuing
    right after a newline leaves that line unindented and the rest at 4 spaces."""
    lines = continuation.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first][:1] in (" ", "\t") or lines[first].startswith("```"):
        return continuation
    later = []
    for line in lines[first + 1 :]:
        if line.startswith("```"):
            break
        if line.strip():
            later.append(len(line) - len(line.lstrip(" ")))
    positive = [n for n in later if n > 0]
    width = 4 if 4 in positive or not positive else min(positive)
    lines[first] = " " * width + lines[first]
    return "\n".join(lines)


def splice(source: str, slot: Slot, body: list[str]) -> tuple[str, int, int]:
    """`source` with the slot's body replaced; also the new body's first and last line."""
    start, end = slot_range(source, slot)
    lines = source.splitlines()
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip())]
    new = [f"{indent}{slot.marker}"] + [f"{indent}{line}" if line else "" for line in body]
    lines[start - 1 : end] = new
    return "\n".join(lines) + "\n", start, start + len(new) - 1


def slot_range(source: str, slot: Slot) -> tuple[int, int]:
    """First (the marker) and last line of the slot's body in `source`."""
    marker = re.compile(rf"^\s*{re.escape(slot.marker)}(?!\w)")
    lines = source.splitlines()
    at = next((i + 1 for i, line in enumerate(lines) if marker.match(line)), None)
    if at is None:
        raise CodeError(f"{slot.file}: the marker {slot.marker!r} is missing")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or node.name != slot.operation_id:
            continue
        if node.lineno < at <= (node.end_lineno or at):
            return at, max(node.end_lineno or at, at)
    raise CodeError(f"{slot.file}: no function {slot.operation_id} around {slot.marker!r}")


def function_source(source: str, slot: Slot) -> str:
    """The slot's current function, header included (shown to the model on a re-fill)."""
    found = function_named(source, slot.operation_id)
    if found is None:
        raise CodeError(f"{slot.file}: no function {slot.operation_id}")
    return found


def function_named(source: str, name: str) -> str | None:
    """The top-level function `name` of `source`, header included; None if absent."""
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if node is None:
        return None
    return "\n".join(source.splitlines()[node.lineno - 1 : node.end_lineno])


def require_statements(body: list[str]) -> None:
    """Refuse a body that does nothing: only comments, a docstring, `pass` or `...`
    (a reply cut off at the token cap often leaves just its opening comments)."""
    if _only_comments(body):
        raise CodeError(_IDLE)
    try:
        tree = ast.parse("def _slot():\n" + textwrap.indent("\n".join(body) + "\n", "    "))
    except SyntaxError:
        return  # compile reports it with a better message
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    if all(_idle(st) for st in function.body):
        raise CodeError(_IDLE)
    last = function.body[-1]
    elided = isinstance(last, ast.Expr) and getattr(last.value, "value", None) is Ellipsis
    if elided and not any(isinstance(n, ast.Return) for n in ast.walk(function)):
        raise CodeError(
            "The function body stops at `...` and never returns: write the rest of it, "
            "ending with the return of the result."
        )


_IDLE = (
    "The function body does nothing (only comments, imports, pass or a docstring). "
    "Write the statements that do the work and return the result."
)


def _idle(statement: ast.stmt) -> bool:
    """`pass`, an import, or a bare constant (a docstring, `...`): nothing done."""
    if isinstance(statement, ast.Pass | ast.Import | ast.ImportFrom):
        return True
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _only_comments(lines: list[str]) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in lines)


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise CodeError("The function body is empty. Write the statements of the function.")
    return lines


def _redefines(node: ast.stmt, defined: frozenset[str]) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name in defined
    if isinstance(node, ast.Assign):
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        return bool(targets) and all(t in defined for t in targets)
    return False


def _imports_skeleton(node: ast.stmt) -> bool:
    """Imports of the generated app itself: its names are in scope already (or are
    added by the import fixer), and `from app.x import` breaks a single-file service."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return module == "app" or module.startswith("app.")
    return False


def _has_code_outside(tree: ast.Module, function: ast.stmt) -> bool:
    """Whether the module has statements besides the function, imports and docstrings:
    then the function is a helper and the other statements are the body."""
    return any(
        not (n is function or isinstance(n, ast.Import | ast.ImportFrom) or is_docstring(n))
        for n in tree.body
    )


def _syntax_message(error: SyntaxError, code: str) -> str:
    line = error.lineno or 0
    text = code.splitlines()[line - 1].strip() if 0 < line <= len(code.splitlines()) else ""
    where = f" at line {line}: {text}" if text else ""
    return f"SyntaxError: {error.msg}{where}"
