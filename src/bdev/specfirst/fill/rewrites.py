"""Repairs that need the whole function: what a name holds, where a response is built.

Each takes the function's AST, rewrites it in place and returns one note per kind of
rewrite (see `repair` for the catalogue).
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import (
    attr,
    call,
    dotted,
    is_store_call,
    name_node,
    name_of,
    names_made_by,
    subscript,
)

_RESPONSE_ATTRIBUTES = frozenset({"status_code", "status", "mimetype", "content_type"})


class ResponseSettings(ast.NodeTransformer):
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
        fixer = cls(names_made_by(function, "Reply"))
        fixer.visit(function)
        if fixer.notes:
            fill_empty_blocks(function)
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
            node.value = ast.Call(func=name_node("Reply"), args=[node.value], keywords=keywords)


class PdfOutput(ast.NodeTransformer):
    """The PDF's bytes from fpdf2, written in the older PyFPDF's terms, which is what a
    small model knows: `pdf.output(dest="S").encode("latin-1")` and `pdf.output(buf,
    "S")` fail under fpdf2 (the package installed), where `pdf.output()` returns the
    bytes. Only on a name made by `FPDF(...)`."""

    def __init__(self, pdfs: set[str]) -> None:
        self.pdfs = pdfs
        self.notes: set[str] = set()

    @classmethod
    def apply(cls, function: ast.FunctionDef) -> set[str]:
        pdfs = names_made_by(function, "FPDF")
        if not pdfs:
            return set()
        fixer = cls(pdfs)
        fixer.visit(function)
        fixer.notes |= _bytes_not_buffers(function)
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

    def _bytes(self, output: ast.Call) -> ast.Call:
        self.notes.add("pdf.output(...) (PyFPDF) -> bytes(pdf.output()) (fpdf2)")
        return call(name_node("bytes"), ast.Call(func=output.func, args=[], keywords=[]))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        inner = self._output(node.args[0]) if len(node.args) == 1 else None
        if name_of(func) == "bytes" and inner is not None and not (inner.args or inner.keywords):
            return node  # bytes(pdf.output()): already fpdf2's way
        if isinstance(func, ast.Attribute) and func.attr == "encode":
            encoded = self._output(func.value)  # .output(dest="S").encode("latin-1")
            if encoded is not None:
                return self._bytes(encoded)
        self.generic_visit(node)
        output = self._output(node)
        if output is None:
            return node
        target = output.args[0] if output.args else None
        if isinstance(target, ast.Name):  # pdf.output(buffer, "S"): into the buffer
            return call(attr(target, "write"), self._bytes(output))
        return self._bytes(output)


def _bytes_not_buffers(function: ast.FunctionDef) -> set[str]:
    """`data = bytes(...)`, then `data.getvalue()` as if it were the BytesIO the PDF used
    to be written into: the bytes themselves."""
    made = names_made_by(function, "bytes")
    notes: set[str] = set()

    class _Values(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "getvalue"
                and isinstance(func.value, ast.Name)
                and func.value.id in made
                and not node.args
            ):
                notes.add("data.getvalue() on bytes -> data")
                return func.value
            return node

    _Values().visit(function)
    return notes


# Fields never copied into a row as they came: they are hashed or checked, not kept.
_SECRET_FIELD = re.compile(r"pass|secret|token|key|hash|credential", re.I)


def rows_keep_the_body(function: ast.FunctionDef, fields: tuple[str, ...]) -> set[str]:
    """A POST's `store.create(t, {"customer": body.customer, "total": total})` built from
    the body but leaving some of its fields out: the row keeps them too (`"items":
    body.items`), since the reads of what was made show them. Secret-like fields (a
    password) are never added."""
    notes: set[str] = set()
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and is_store_call(node, "create")):
            continue
        doc = node.args[1] if len(node.args) == 2 else None
        if not isinstance(doc, ast.Dict) or not all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in doc.keys
        ):
            continue
        uses_body = any(isinstance(n, ast.Name) and n.id == "body" for n in ast.walk(doc))
        keys = {k.value for k in doc.keys if isinstance(k, ast.Constant)}
        missing = [f for f in fields if f not in keys and not _SECRET_FIELD.search(f)]
        if not uses_body or not missing:
            continue
        for name in missing:
            doc.keys.append(ast.Constant(name))
            doc.values.append(attr(name_node("body"), name))
        notes.add("store.create(t, {some body fields}) -> the row keeps the body's other fields")
    return notes


# Packages whose submodules `import pkg` does not load: `PIL.Image` is an AttributeError
# after a bare `import PIL`. (Pillow's submodules are the capitalised names.)
_LAZY_PACKAGES = frozenset({"PIL"})


def submodule_imports(function: ast.FunctionDef) -> set[str]:
    """`import PIL` then `PIL.Image.open(...)`: the submodules used are imported
    (`import PIL.Image`, which binds `PIL` as well)."""
    used: dict[str, set[str]] = {}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in _LAZY_PACKAGES
        ):
            used.setdefault(node.value.id, set()).add(node.attr)
    notes: set[str] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Import):
            continue
        names: list[ast.alias] = []
        for alias in node.names:
            subs = used.get(alias.name, set()) if alias.asname is None else set()
            subs = {s for s in subs if s[:1].isupper()}
            if subs:
                notes.add(f"import {alias.name} -> import {alias.name}.<submodule used>")
                names += [ast.alias(f"{alias.name}.{s}") for s in sorted(subs)]
            else:
                names.append(alias)
        node.names = names
    return notes


def fill_empty_blocks(function: ast.FunctionDef) -> None:
    """A `pass` in each block a dropped statement left empty."""
    for node in ast.walk(function):
        if getattr(node, "body", None) == []:  # `orelse` and `finalbody` may be empty
            node.body.append(ast.Pass())  # type: ignore[attr-defined]


def ids_used_as_values(function: ast.FunctionDef) -> set[str]:
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
            and is_store_call(node.value, "create")
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
        if isinstance(node, ast.Assign) and not is_store_call(node.value, "create"):
            # Assigned something else as well: not clearly the create's result.
            as_row |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id in created}
    notes: set[str] = set()
    for name in sorted(used - as_row):
        for assign in created[name]:
            assign.value = subscript(assign.value, "id")
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
    return isinstance(parent, ast.Call) and name_of(parent.func) in {"dict", "dump", "Reply"}


# Query-language text matches a model writes into the store's {field: value} filters.
_MATCH_OPERATORS = {"$regex": False, "$like": True, "like": True, "$ilike": True,
                    "ilike": True, "$contains": False, "contains": False,
                    "$icontains": True, "icontains": True}  # fmt: skip


_MATCH_SUFFIXES = {"__icontains": True, "__contains": False, "__iexact": True}


def text_search(call: ast.Call) -> ast.expr | None:
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
    return ast.ListComp(elt=name_node("_row"), generators=[loop])


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
    needle: ast.expr = call(name_node("str"), text)
    got = ast.Call(func=attr(name_node("_row"), "get"), args=[ast.Constant(field)], keywords=[])
    hay: ast.expr = call(name_node("str"), ast.BoolOp(ast.Or(), [got, ast.Constant("")]))
    if folded:
        needle, hay = call(attr(needle, "lower")), call(attr(hay, "lower"))
    return ast.Compare(left=needle, ops=[ast.In()], comparators=[hay])


def caller_ids_as_int(function: ast.FunctionDef) -> set[str]:
    """`principal["sub"]` -> `int(principal["sub"])` where the caller is a row with an
    integer id (an issued API key's owner): the principal carries it as text, and a
    response's `"id": principal["sub"]` fails the integer the document promises."""
    notes: set[str] = set()

    class _Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            if isinstance(node.func, ast.Name) and node.func.id in ("int", "str"):
                return node  # already converted (or wanted as text)
            self.generic_visit(node)
            if _is_sub(node):
                notes.add("principal['sub'] -> int(principal['sub'])")
                return ast.Call(ast.Name("int", ast.Load()), [node], [])
            return node

        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            self.generic_visit(node)
            if _is_sub(node) and isinstance(node.ctx, ast.Load):
                notes.add("principal['sub'] -> int(principal['sub'])")
                return ast.Call(ast.Name("int", ast.Load()), [node], [])
            return node

    _Rewrite().visit(function)
    return notes


def _is_sub(node: ast.expr) -> bool:
    """`principal["sub"]` or `principal.get("sub")`."""
    if isinstance(node, ast.Subscript):
        target, key = node.value, node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
    ):
        target, key = node.func.value, node.args[0]
    else:
        return False
    return (
        isinstance(target, ast.Name)
        and target.id == "principal"
        and isinstance(key, ast.Constant)
        and key.value == "sub"
    )


def folder_listing(function: ast.FunctionDef, setting: str) -> set[str]:
    """`store.list(...)` -> the files in `os.environ[setting]` as rows `{"name", "size"}`
    (sorted by name), where the handlers keep every file there and store no rows: the
    store is empty, and a small model lists it anyway on every attempt."""
    notes: set[str] = set()

    class _Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if not is_store_call(node, "list"):
                return node
            notes.add(f"store.list(...) -> the files in os.environ[{setting!r}]")
            return ast.parse(
                "[{'name': p.name, 'size': p.stat().st_size} for p in "
                f"sorted(Path(os.environ[{setting!r}]).iterdir()) if p.is_file()]",
                mode="eval",
            ).body

    _Rewrite().visit(function)
    return notes


# Calls whose result is a file's bytes.
_BYTES_CALLS = frozenset({"getvalue", "read", "tobytes", "read_bytes", "output"})


def bytes_not_wrapped(function: ast.FunctionDef) -> set[str]:
    """`return {"id": id, "thumbnail": buffer.getvalue()}` -> `return buffer.getvalue()`,
    for an operation whose success is a file (an image, a PDF): the route sends the bytes
    with the documented media type, and a dict of them is a 500."""
    notes: set[str] = set()
    for node in ast.walk(function):
        if not (isinstance(node, ast.Return) and isinstance(node.value, ast.Dict)):
            continue
        found = [
            v for v in node.value.values
            if (isinstance(v, ast.Call) and name_of(v.func) in _BYTES_CALLS)
            or (isinstance(v, ast.Call) and name_of(v.func) == "bytes")
        ]  # fmt: skip
        if len(found) == 1:
            node.value = found[0]
            notes.add("return {..., 'file': data} -> return data (the response is the file)")
    return notes


def escaped_values(function: ast.FunctionDef) -> set[str]:
    """`html.escape(f"<h1>{name}</h1>")` -> `f"<h1>{html.escape(str(name))}</h1>"`: the
    page's own tags escaped showed as text; the values are what must be escaped."""
    notes: set[str] = set()

    class _Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            page = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if dotted(node.func) != "html.escape" or not isinstance(page, ast.JoinedStr):
                return node
            tags = any(
                isinstance(part, ast.Constant) and "<" in str(part.value) for part in page.values
            )
            if not tags:
                return node
            for part in page.values:
                if isinstance(part, ast.FormattedValue):
                    text = ast.Call(ast.Name("str", ast.Load()), [part.value], [])
                    part.value = ast.Call(
                        ast.Attribute(ast.Name("html", ast.Load()), "escape", ast.Load()),
                        [text],
                        [],
                    )
            notes.add("html.escape(f'<p>{x}</p>') -> f'<p>{html.escape(str(x))}</p>'")
            return page

    _Rewrite().visit(function)
    return notes


# What the skeleton's principal holds besides the caller's id (see templates/security).
_PRINCIPAL_KEYS = frozenset({"sub", "api_key_scheme", "static_credential", "auth_scheme"})


def caller_fields(function: ast.FunctionDef, table: str) -> set[str]:
    """`principal["username"]` -> `store.require(table, principal["sub"])["username"]`:
    the principal of an API key's owner holds only its id; the rest is in its row."""
    notes: set[str] = set()

    def row() -> ast.Call:
        sub = subscript(name_node("principal"), "sub")
        return call(attr(name_node("store"), "require"), ast.Constant(table), sub)

    class _Rewrite(ast.NodeTransformer):
        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            self.generic_visit(node)
            key = _principal_key(node.value, node.slice)
            if key is None or not isinstance(node.ctx, ast.Load):
                return node
            notes.add(f"principal[{key!r}] -> the caller's row's {key!r}")
            return subscript(row(), key)

        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr == "get" and node.args):
                return node
            key = _principal_key(func.value, node.args[0])
            if key is None:
                return node
            notes.add(f"principal[{key!r}] -> the caller's row's {key!r}")
            return ast.Call(attr(row(), "get"), node.args, node.keywords)

    _Rewrite().visit(function)
    return notes


def _principal_key(target: ast.expr, key: ast.expr) -> str | None:
    if not (isinstance(target, ast.Name) and target.id == "principal"):
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return None if key.value in _PRINCIPAL_KEYS else key.value
    return None


def visible_rows(
    function: ast.FunctionDef, hidden: tuple[str, ...], required: tuple[str, ...]
) -> set[str]:
    """`store.list(t)` -> `[r for r in store.list(t) if not r.get("private")]` for the
    flags the read's requirements hide (and `if r.get("published")` for those they
    require), when the body never names the flag itself."""
    named = {n.value for n in ast.walk(function) if isinstance(n, ast.Constant)}
    named |= {n.attr for n in ast.walk(function) if isinstance(n, ast.Attribute)}
    hidden = tuple(f for f in hidden if f not in named)
    required = tuple(f for f in required if f not in named)
    if not hidden and not required:
        return set()
    notes: set[str] = set()
    tests = [f"not _row.get({f!r})" for f in hidden] + [f"_row.get({f!r})" for f in required]

    class _Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if not is_store_call(node, "list"):
                return node
            notes.add(f"store.list(...) -> the rows where {' and '.join(tests)}")
            kept = ast.parse(f"[_row for _row in _rows if {' and '.join(tests)}]", mode="eval")
            comprehension = kept.body
            assert isinstance(comprehension, ast.ListComp)
            comprehension.generators[0].iter = node
            return comprehension

    _Rewrite().visit(function)
    return notes


def counted_value(function: ast.FunctionDef) -> set[str]:
    """`store.increment(t, key, "visits")` whose new value is dropped, then `return {...,
    "visits": <something else>}`: the answer is the value increment returned (a count
    read some other way was 0 for every page)."""
    fields: dict[str, ast.Expr] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Expr) and is_store_call(node.value, "increment"):
            assert isinstance(node.value, ast.Call)
            given = node.value.args[2] if len(node.value.args) > 2 else None
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                fields[given.value] = node
    if len(fields) != 1:
        return set()
    ((field, statement),) = fields.items()
    returns = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Dict)
        and any(isinstance(k, ast.Constant) and k.value == field for k in node.value.keys)
        and node.lineno > statement.lineno
    ]
    if not returns:
        return set()
    for node in ast.walk(function):  # the statement becomes an assignment where it is
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and statement in block:
                at = block.index(statement)
                target = ast.Name("_counted", ast.Store())
                block[at] = ast.copy_location(ast.Assign([target], statement.value), statement)
    for node in returns:
        assert isinstance(node.value, ast.Dict)
        node.value.values = [
            name_node("_counted") if isinstance(k, ast.Constant) and k.value == field else v
            for k, v in zip(node.value.keys, node.value.values, strict=True)
        ]
    return {f"store.increment(...) dropped -> its new value answers {field!r}"}


# Which of several documented errors a message means.
_MEANS = ((404, r"not found|no such|unknown|does not exist|missing"),
          (409, r"exists|taken|duplicate|already|conflict"))  # fmt: skip
# The keys an error body keeps its message under (also read by `repair._message_of`).
ERROR_KEYS = frozenset({"error", "detail", "message"})


def error_answers(function: ast.FunctionDef, errors: tuple[int, ...]) -> set[str]:
    """`return {"error": "Host not found"}` where the operation documents a 404: a 200
    with an error in it, which a client takes for success. It is raised as the error the
    operation documents (the one, or the one its message means)."""
    notes: set[str] = set()
    for node in ast.walk(function):
        for n, statement in enumerate(getattr(node, "body", None) or []):
            if not isinstance(statement, ast.Return) or not isinstance(statement.value, ast.Dict):
                continue
            keys = [k.value for k in statement.value.keys if isinstance(k, ast.Constant)]
            if len(keys) != 1 or keys[0] not in ERROR_KEYS:
                continue
            message = statement.value.values[0]
            status = _meant(errors, ast.unparse(message))
            if status is None:
                continue
            raised = call(name_node("ApiError"), ast.Constant(status), message)
            node.body[n] = ast.copy_location(ast.Raise(exc=raised, cause=None), statement)  # type: ignore[attr-defined]
            notes.add("return {'error': ...} -> raise ApiError(documented status, ...)")
    return notes


def _meant(errors: tuple[int, ...], message: str) -> int | None:
    if len(errors) == 1:
        return errors[0]
    meant = [s for s, words in _MEANS if s in errors and re.search(words, message, re.I)]
    return meant[0] if len(meant) == 1 else None


def sort_order(function: ast.FunctionDef, descending: bool) -> set[str]:
    """`sorted(rows, key=..., reverse=True)` where the operation's words sort ascending
    (or `reverse=False` where they say descending): the order the words state. A sort
    that states no `reverse` is left as written (its key may already turn it round)."""
    notes: set[str] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        sorts = (isinstance(node.func, ast.Name) and node.func.id == "sorted") or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "sort"
        )
        for keyword in node.keywords if sorts else []:
            value = keyword.value
            if not isinstance(value, ast.Constant) or not isinstance(value.value, bool):
                continue
            if keyword.arg == "reverse" and value.value is not descending:
                keyword.value = ast.copy_location(ast.Constant(descending), value)
                order = "descending" if descending else "ascending"
                notes.add(f"reverse={not descending} -> reverse={descending} (sorted {order})")
    return notes
