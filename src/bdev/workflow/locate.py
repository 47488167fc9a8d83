"""Locate: the file a change request is about, and the slots the model fills in it.

The program-led round's first step (`guided`), taken without the model: a file the
request names, else the file that owns the routes it names (`bdev analyze`), else the
functions the service's failing tests call (`culprits`), else the file sharing the most
words with the request, else the service's entry module, else `app.py` for a new
service. In that file, the smallest slots that fit: the handler of each existing route
the request names, new code for the routes it names that do not exist yet, else the
whole file; a new numbered migration first when the request asks for one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bdev.agents.tokens import terms, words
from bdev.backend.analyze import analyze
from bdev.backend.facts import BackendFacts
from bdev.errors import BdevError
from bdev.workflow.culprits import culprits
from bdev.workflow.named import backticked

DEFAULT_FILE = "app.py"


# A file name the request spells out, e.g. "create app.py" or "fix app/routes.py".
_NAMED_FILE = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]+\.py)\b")


# Folders that hold no code the request is about.
_NOT_SOURCE = frozenset({"tests", "test", "migrations", "alembic", "venv", "node_modules"})


_MAX_FILES = 200


NUMBERED = re.compile(r"^(\d{2,})_\w+\.(sql|py)$")


# A route the request spells out: "GET /orders", "`PATCH /tickets/{id}`".
_ROUTE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+`?(/[\w/{}<>:.-]*)", re.IGNORECASE)


_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>|:[A-Za-z_]\w*")


@dataclass
class Slot:
    """One piece of code the model writes: a route's handler (`function`), code added to
    the module (`append`), the whole `file`, or a new `migration` file."""

    kind: str  # "function", "append", "file", or "migration" (a new file)
    route: str = ""  # "GET /orders", for the prompt
    function: str = ""  # the handler's name, for kind == "function"
    file: str = ""  # for kind == "migration": the new file, beside the earlier ones


@dataclass
class Target:
    """The file a change step edits, why it was chosen (shown to the user), and the
    slots the model fills in it."""

    path: str
    reason: str
    slots: list[Slot] = field(default_factory=lambda: [Slot("file")])


def locate(
    task: str, workspace: Path, facts: BackendFacts | None, failing: Sequence[str] = ()
) -> Target:
    """The one file the request is about (see the module docstring for the order), and
    the slots to fill in it. `failing`: the service's tests that fail before the change."""
    named = [m.group(1) for m in _NAMED_FILE.finditer(task)]
    source_files = [n for n in named if not Path(n).name.startswith("test_")]
    called = culprits(workspace, list(failing), facts)
    if source_files:
        target = Target(source_files[0], "named in the request")
    elif facts is not None and (owners := _route_owners(task, facts)):
        target = Target(owners[0], "owns the routes the request names")
    elif called:
        file = called[0][0]
        slots = [Slot("function", function=name) for f, name in called if f == file]
        return Target(file, "the service's failing tests call it", slots)
    elif facts is not None and (best := _closest_file(task, workspace)):
        target = Target(best, "shares the most words with the request")
    elif facts is not None and facts.entry_point is not None and facts.entry_point.file:
        target = Target(facts.entry_point.file, "the service's entry module")
    else:
        return Target(DEFAULT_FILE, "a new service's module")
    if facts is not None and (workspace / target.path).is_file():
        target.slots = _slots(task, facts, target.path) or target.slots
    migration = _migration_slot(task, workspace)
    if migration is not None:  # the schema first: the code then uses it
        target.slots.insert(0, migration)
    return target


def _migration_slot(task: str, workspace: Path) -> Slot | None:
    """A new numbered migration when the request asks for one and the service keeps
    numbered migration files (0001_create.sql, 002_add.py, ...): the next number."""
    if not any(t.startswith("migrat") for t in terms(task)):
        return None
    for folder in ("migrations", "migrations/versions", "alembic/versions", "db/migrations"):
        numbered = sorted(
            p for p in (workspace / folder).glob("*") if NUMBERED.match(p.name) and p.is_file()
        )
        if numbered:
            last = numbered[-1]
            width = len(NUMBERED.match(last.name).group(1))  # type: ignore[union-attr]
            number = int(NUMBERED.match(last.name).group(1)) + 1  # type: ignore[union-attr]
            slug = "_".join(_slug_words(task)) or "change"
            name = f"{folder}/{number:0{width}d}_{slug}{last.suffix}"
            return Slot("migration", file=name)
    return None


def _slug_words(task: str) -> list[str]:
    """The migration's name: the identifiers the request puts in backticks (the column and
    table it is about), else its first words."""
    named = [name for name in backticked(task) if name.islower()]
    if named:
        return named[:2]
    return list(dict.fromkeys(w for _, w in words(task) if w.isalpha()))[:4]


def _closest_file(task: str, workspace: Path) -> str | None:
    """The service's source file whose words (identifiers split at `_`, strings,
    comments) best match the request's, each word weighted by how few files have it
    (idf); None when no file stands out. For requests that name no file and no route,
    such as "the discount is applied twice": the module that computes discounts."""
    wanted = set(terms(task.replace("_", " ")))
    files = [
        p
        for p in sorted(workspace.rglob("*.py"))
        if not any(part.startswith(".") or part in _NOT_SOURCE for part in p.parts)
        and not p.name.startswith("test_")
    ][:_MAX_FILES]
    if not wanted or len(files) < 2:
        return None
    vocab = {p: set(terms(p.read_text(errors="replace").replace("_", " "))) for p in files}
    df = {w: sum(w in v for v in vocab.values()) for w in wanted}
    idf = {w: math.log(1 + len(files) / n) for w, n in df.items() if n}
    scores = sorted(
        [
            (sum(idf.get(w, 0.0) for w in wanted & v), str(p.relative_to(workspace)))
            for p, v in vocab.items()
        ],
        reverse=True,
    )
    (best, path), (runner_up, _) = scores[0], scores[1]
    return path if best > runner_up else None


def _slots(task: str, facts: BackendFacts, file: str) -> list[Slot]:
    """A handler slot per existing route of `file` the request names, then one `append`
    slot when it names routes that do not exist yet; [] when it names none."""
    wanted = [(m.upper(), shape(p)) for m, p in _ROUTE.findall(task)]
    if not wanted:
        return []
    slots: list[Slot] = []
    missing = []
    for method, path in dict.fromkeys(wanted):
        found = [
            e
            for e in facts.endpoints
            if e.method == method and shape(e.path) == path and e.location is not None
        ]
        here = [e for e in found if e.location is not None and e.location.file == file]
        if here:
            endpoint = here[0]
            slot = Slot("function", f"{method} {endpoint.path}", endpoint.handler)
            if all(s.function != slot.function for s in slots):
                slots.append(slot)
        elif not found:
            missing.append(f"{method} {path}")
    if missing:
        slots.append(Slot("append", ", ".join(missing)))
    return slots


def shape(path: str) -> str:
    """A route path with its parameters blanked, the same for every framework's spelling:
    /items/{id}, /items/<int:id> and /items/:id are all /items/{}."""
    path = path.strip("`'\".,;)").rstrip("/") or "/"
    return _PARAM.sub("{}", path)


def _route_owners(task: str, facts: BackendFacts) -> list[str]:
    """Files of the endpoints the request names ("GET /orders"), the most named first."""
    wanted = {(m.upper(), shape(p)) for m, p in _ROUTE.findall(task)}
    counts: dict[str, int] = {}
    for e in facts.endpoints:
        if e.location is not None and (e.method, shape(e.path)) in wanted:
            counts[e.location.file] = counts.get(e.location.file, 0) + 1
    return sorted(counts, key=lambda f: -counts[f])


def next_round_slots(task: str, workspace: Path, target: Target) -> list[Slot]:
    """The slots of a later round: a route the last round added is now a handler to
    change, not code to add again (asked again, a small model writes a second copy, or
    the whole module); a migration it wrote is not written twice."""
    slots = [s for s in target.slots if s.kind != "migration" or not (workspace / s.file).exists()]
    if not any(s.kind == "append" for s in slots):
        return slots
    try:
        facts = analyze(workspace)
    except BdevError:
        return slots
    fresh = _slots(task, facts, target.path)
    kept = [s for s in slots if s.kind != "append"]
    have = {k.function for k in kept}
    return kept + [s for s in fresh if s.kind == "append" or s.function not in have]
