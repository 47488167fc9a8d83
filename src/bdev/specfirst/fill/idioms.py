"""The library calls that do what an operation's requirements describe, named in its prompt.

A 1.5B model knows `zipfile` and Pillow by name but not which call answers "the member
names in order" or "a thumbnail that keeps the aspect ratio and never enlarges", so it
hand-rolls them (an empty list of entries; a resize that enlarges). Each entry here is
one fact of a standard-library or allowed package's documented API, chosen by words of
the operation's own requirements and given only when the module can be imported under
the task's package rules. This is a short table of common backend chores, not a list of
tasks: it names calls, never a handler's logic.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Idiom:
    words: re.Pattern[str]  # what the operation's requirements say
    module: str  # what must be importable (a package the task allows, or the stdlib)
    text: str
    methods: frozenset[str] = frozenset({"get", "post", "put", "patch", "delete"})


IDIOMS = (
    Idiom(
        re.compile(r"\b(zip|archives?)\b", re.I),
        "zipfile",
        "zipfile.ZipFile(io.BytesIO(data)) reads a zip held in memory; .namelist() gives the "
        "member names in order, .getinfo(name).file_size a member's size uncompressed, "
        ".read(name) its bytes (KeyError when there is no such member); a file that is not "
        "a zip raises zipfile.BadZipFile (the service answers 400 for it)",
    ),
    Idiom(
        re.compile(r"\b(image|thumbnail|png|jpe?g|gif|pixels?)\b", re.I),
        "PIL",
        "PIL.Image.open(io.BytesIO(data)) reads an image (only its header until the pixels "
        "are needed: .size is (width, height), .format e.g. 'PNG'); img.thumbnail((w, h)) "
        "shrinks it in place to fit within w x h, keeping the aspect ratio, and never "
        "enlarges; "
        "img.save(buffer, format='PNG') into an io.BytesIO, then buffer.getvalue()",
    ),
    Idiom(
        re.compile(r"\b(short(ener| codes?| links?| urls?)|slugs?|invite codes?)\b", re.I),
        "secrets",
        "secrets.token_urlsafe(6) makes a short random code (8 URL-safe characters); store "
        "it in the new row, and make another if store.find(table, 'code', code) finds one",
        frozenset({"post"}),  # the operation that makes one
    ),
    Idiom(
        re.compile(r"\bcsv\b", re.I),
        "csv",
        "csv.DictReader(io.StringIO(text)) gives one dict per row; csv.writer(buffer)."
        "writerow([...]) into an io.StringIO writes one",
    ),
)


def idioms_for(sentences: list[str], allowed: set[str] | None, method: str = "get") -> list[str]:
    """The facts whose words the sentences use, for modules the handler may import:
    the standard library's, and others named in `allowed` (the task's packages, by
    import name) or, when the task names none, installed here."""
    text = " ".join(sentences)
    out = []
    for idiom in IDIOMS:
        wanted = method in idiom.methods and idiom.words.search(text)
        if wanted and _may_import(idiom.module, allowed):
            out.append(idiom.text)
    return out


def _may_import(module: str, allowed: set[str] | None) -> bool:
    if module in sys.stdlib_module_names:
        return True
    if allowed is not None:
        return module in allowed
    return importlib.util.find_spec(module) is not None
