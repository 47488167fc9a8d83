"""Which store tables a handler reads and writes, and reads of data nothing stores.

A small model writes each handler on its own: a listing reads rows from a `files` table
while the upload beside it writes the file to a folder and stores no row, so the list is
always empty; a thumbnail reads the row's `width` where the upload stored only the file.
Once every operation that could write has been written, a read of a table that none of
them (nor the skeleton) writes, or of a field that every writer of the table is known to
leave out, is sent back.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Set

_READS = frozenset({"get", "require", "list", "count", "find"})
_WRITES = frozenset({"create", "increment", "update", "replace"})


def tables_used(code: str) -> tuple[dict[str, int], set[str]]:
    """({table read: first line}, tables written) by `store.<method>("table", ...)` calls
    with a literal table name."""
    reads: dict[str, int] = {}
    writes: set[str] = set()
    for node, method, table in _store_calls(code):
        if method in _READS:
            reads.setdefault(table, node.lineno)
        elif method in _WRITES:
            writes.add(table)
    return reads, writes


# table -> the fields its rows are given, or None when some writer's are not known
Fields = dict[str, set[str] | None]


def fields_written(code: str) -> Fields:
    """The fields each table's rows get from this code: dict literals given to create,
    replace and update, and increment's field. A row built any other way (a model's
    dump, a variable) makes the table's fields unknown."""
    out: Fields = {}
    for node, method, table in _store_calls(code):
        if method not in _WRITES:
            continue
        known = out.setdefault(table, set())
        if method == "increment":
            field = node.args[2] if len(node.args) > 2 else None
            named = isinstance(field, ast.Constant) and isinstance(field.value, str)
            given: set[str] | None = {str(field.value)} if named else None  # type: ignore[union-attr]
        else:
            doc = node.args[1 if method == "create" else 2] if len(node.args) > 1 else None
            given = _literal_keys(doc)
        out[table] = None if known is None or given is None else known | given
    return out


def merge_fields(a: Fields, b: Fields) -> Fields:
    merged = dict(a)
    for table, fields in b.items():
        was = merged.get(table, set())
        merged[table] = None if was is None or fields is None else was | fields
    return merged


def unstored_fields(code: str, stored: Fields, id_fields: dict[str, str]) -> list[str]:
    """One problem per field read from a row of a table whose every writer is known and
    none stores that field."""
    mine = fields_written(code)
    problems: list[str] = []
    for table, field, line in _row_reads(code):
        known = merge_fields(stored, {table: mine[table]} if table in mine else {}).get(table)
        if not known or field in known or field in ("id", id_fields.get(table, "id")):
            continue
        problems.append(
            f"line {line}: rows of {table!r} never hold {field!r} (the handlers store only "
            f"{', '.join(sorted(known))}): store it when the row is made, or work it out here"
        )
    return problems


def _literal_keys(doc: ast.expr | None) -> set[str] | None:
    if not isinstance(doc, ast.Dict):
        return None
    keys = set()
    for key in doc.keys:
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None  # `**other` or a computed key
        keys.add(key.value)
    return keys


def _store_calls(code: str) -> list[tuple[ast.Call, str, str]]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id == "store" and node.args):
            continue
        table = node.args[0]
        if isinstance(table, ast.Constant) and isinstance(table.value, str):
            calls.append((node, node.func.attr, table.value))
    return calls


_ROW_READS = frozenset({"get", "require", "find"})


def _row_reads(code: str) -> list[tuple[str, str, int]]:
    """(table, field, line) for `row["f"]` and `row.get("f")` on a name bound to one row
    of the store, and for `store.require(t, id)["f"]`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lists = {  # names bound to `store.list(t)`: iterating them gives rows of t
        t.id: table
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and (table := _row_table(node.value, listed=True))
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    rows: dict[str, str] = {}
    other: set[str] = set()  # names also bound to something else
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            bindings = [(t, _row_table(node.value)) for t in node.targets]
        elif isinstance(node, ast.For | ast.comprehension):
            source = node.iter
            listed = lists.get(source.id) if isinstance(source, ast.Name) else None
            bindings = [(node.target, listed or _row_table(source, listed=True))]
        else:
            continue
        for target, table in bindings:
            if isinstance(target, ast.Name):
                if table is None:
                    other.add(target.id)
                else:
                    rows[target.id] = table
    rows = {name: table for name, table in rows.items() if name not in other}
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            table = _row_table(node.value)
            if table is None and isinstance(node.value, ast.Name):
                table = rows.get(node.value.id)
            if table is not None and isinstance(node.slice.value, str):
                reads.append((table, node.slice.value, node.lineno))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            reads += _looked_up_by(node)
            if node.func.attr == "get" and isinstance(owner, ast.Name) and owner.id in rows:
                key = node.args[0] if node.args else None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    reads.append((rows[owner.id], key.value, node.lineno))
    return reads


def _looked_up_by(node: ast.Call) -> list[tuple[str, str, int]]:
    """`store.find(t, "code", v)` and `store.list(t, filters={"code": v})` read the field."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return []
    table = node.args[0] if node.args else None
    if func.value.id != "store" or not (
        isinstance(table, ast.Constant) and isinstance(table.value, str)
    ):
        return []
    fields: list[ast.expr | None] = []
    if func.attr == "find" and len(node.args) > 1:
        fields = [node.args[1]]
    elif func.attr in ("list", "count"):
        given = next((k.value for k in node.keywords if k.arg == "filters"), None)
        fields = list(given.keys) if isinstance(given, ast.Dict) else []
    return [
        (table.value, f.value, node.lineno)
        for f in fields
        if isinstance(f, ast.Constant) and isinstance(f.value, str)
    ]


def _row_table(node: ast.expr, *, listed: bool = False) -> str | None:
    """The table of `store.get(t, ...)` (or of `store.list(t)` iterated, when `listed`)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner, table = node.func.value, node.args[0] if node.args else None
    methods = {"list"} if listed else _ROW_READS
    if not (isinstance(owner, ast.Name) and owner.id == "store" and node.func.attr in methods):
        return None
    return table.value if isinstance(table, ast.Constant) and isinstance(table.value, str) else None


_FOLDER = re.compile(r"os\.environ(?:\.get\(|\[)\s*['\"](\w+)['\"]")


def folders_written(code: str) -> set[str]:
    """The settings (`os.environ["UPLOAD_DIR"]`) of folders this code saves files in."""
    if not re.search(r"\bopen\([^)]*['\"][wax]b?['\"]|write_bytes|write_text|\.save\(", code):
        return set()
    return set(_FOLDER.findall(code))


def unfilled_reads(
    code: str, written_elsewhere: set[str], folders: Set[str] = frozenset()
) -> list[str]:
    """One problem per table the body reads that neither it nor any other handler writes.
    `folders`: the settings of folders the other handlers save files in."""
    reads, writes = tables_used(code)
    missing = sorted(t for t in reads if t not in writes | written_elsewhere)
    if not missing:
        return []
    where = (
        f"the handlers store rows only in {', '.join(sorted(written_elsewhere))}"
        if written_elsewhere
        else "no handler stores rows in the store at all"
    )
    if folders:
        folder = f"Path(os.environ[{sorted(folders)[0]!r}])"
        advice = (
            f"the handlers above keep the data as files in {folder}: read the folder, e.g. "
            f"`for p in sorted({folder}.iterdir()): ... p.name, p.stat().st_size`"
        )
    else:
        advice = "read the data where the handlers shown above keep it"
    return [
        f"line {reads[t]}: nothing ever stores rows in {t!r} ({where}): {advice}" for t in missing
    ]


def lookups_by_field(code: str, holds: dict[str, set[str]], id_fields: dict[str, str]) -> list[str]:
    """`store.get("users", username)`: get and require look a row up by its id; a key
    named after a field the rows hold (not the id) wants `find`."""
    problems = []
    ids = _caller_ids(code)
    for node, method, table in _store_calls(code):
        key = node.args[1] if len(node.args) > 1 else None
        if method not in ("get", "require") or not isinstance(key, ast.Name) or key.id in ids:
            continue
        if key.id in holds.get(table, set()) and key.id != id_fields.get(table, "id"):
            problems.append(
                f"line {node.lineno}: store.{method}({table!r}, {key.id}) looks a row up by its "
                f"id, and {key.id!r} is a field of the rows: "
                f"store.find({table!r}, {key.id!r}, {key.id})"
            )
    return problems


def _caller_ids(code: str) -> set[str]:
    """Names bound to the caller's claim (`username = principal["sub"]`): an id, whatever
    the model called it."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {
        t.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(n, ast.Name) and n.id == "principal" for n in ast.walk(node.value))
        for t in node.targets
        if isinstance(t, ast.Name)
    }
