"""Which store tables a handler reads and writes, and reads of a table nothing fills.

A small model writes each handler on its own: a listing reads rows from a `files` table
while the upload beside it writes the file to a folder and stores no row, so the list is
always empty. Once every operation that could write has been written, a read of a table
that none of them (nor the skeleton) writes is sent back.
"""

from __future__ import annotations

import ast

_READS = frozenset({"get", "require", "list", "count", "find"})
_WRITES = frozenset({"create", "increment", "update", "replace"})


def tables_used(code: str) -> tuple[dict[str, int], set[str]]:
    """({table read: first line}, tables written) by `store.<method>("table", ...)` calls
    with a literal table name."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}, set()
    reads: dict[str, int] = {}
    writes: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner, method = node.func.value, node.func.attr
        if not (isinstance(owner, ast.Name) and owner.id == "store" and node.args):
            continue
        table = node.args[0]
        if not (isinstance(table, ast.Constant) and isinstance(table.value, str)):
            continue
        if method in _READS:
            reads.setdefault(table.value, node.lineno)
        elif method in _WRITES:
            writes.add(table.value)
    return reads, writes


def unfilled_reads(code: str, written_elsewhere: set[str]) -> list[str]:
    """One problem per table the body reads that neither it nor any other handler writes."""
    reads, writes = tables_used(code)
    missing = sorted(t for t in reads if t not in writes | written_elsewhere)
    if not missing:
        return []
    where = (
        f"the handlers store rows only in {', '.join(sorted(written_elsewhere))}"
        if written_elsewhere
        else "no handler stores rows in the store at all"
    )
    return [
        f"line {reads[t]}: nothing ever stores rows in {t!r} ({where}): read the data "
        "where the handlers shown above keep it"
        for t in missing
    ]
