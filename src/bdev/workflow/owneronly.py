"""Tests that an object stays its owner's, when the request says so.

"A customer may only see and change their own tickets ... Someone else's ticket answers
404": bdev's generated tests checked that the routes want a login, and nothing about
whose object a caller reaches, so a change that let every user read every ticket
passed them (change task 08 at `9472785`). When the request keeps objects to their
owners and the API shows how a new user signs in (`operations.sign_in`), each
operation on one object that the request names gets a test: one new user creates an
object, another reaches it, and must get the status the request gives for it (the
first 403 or 404 after those words in the same sentence), else 403 or 404. A write may
also answer 403 whatever the request says of reads: its body may set a field only some
users may set, and it is refused either way.
"""

from __future__ import annotations

import re

from bdev.backend.testgen.operations import Operation, add_owner_only_checks, sign_in

_OWNER_ONLY = re.compile(
    r"\b(?:someone|somebody|anyone) else'?s\b|\bother (?:people|users|customers|members)'s?"
    r"|\banother (?:user|customer|member|account)'s\b|\btheir own\b",
    re.I,
)
_REFUSAL = re.compile(r"\b(403|404)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def owner_only_statuses(request: str) -> tuple[int, ...]:
    """The statuses the request gives another user reaching an owner's object: (404,),
    (403,), or (403, 404) when it names neither; () when it keeps nothing to owners."""
    said = False
    for sentence in _SENTENCE_END.split(request):
        for words in _OWNER_ONLY.finditer(sentence):
            said = True
            status = _REFUSAL.search(sentence, words.end())
            if status is not None:
                return (int(status.group(1)),)
    return (403, 404) if said else ()


def owner_only_checks(request: str, ops: list[Operation], names: set[str]) -> str:
    """Add the tests to the operations of `names`; a note on them, or ""."""
    statuses = owner_only_statuses(request)
    signer = sign_in(ops) if statuses else None
    if signer is None:
        return ""
    reads = {op.name for op in ops if op.name in names and op.method in ("GET", "DELETE")}
    added = add_owner_only_checks(ops, reads, signer, statuses)
    writes = names - reads
    added += add_owner_only_checks(ops, writes, signer, tuple(sorted({*statuses, 403})))
    if not added:
        return ""
    wanted = " or ".join(map(str, statuses))
    return f"{added} tests that another new user reaching an owner's object gets {wanted}"
