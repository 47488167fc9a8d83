"""One finding per weakness, whichever tools saw it, graded by the strongest evidence.

Bandit, bdev's own static rules and the HTTP probes often report the same flaw: bandit's
B608 and a probe's SQL error on the route that runs that query, or `debug=True` seen by
bandit, by the AST rule and by the probe that reached the debugger. Findings are merged
when they are the same weakness class (`rubric.weakness`) and

- at the same file and line, or
- on the same route: a probe's `GET /items` and a static finding inside the handler
  that serves it (found from the endpoints' handler locations), or
- about the same dependency, or
- about an application-wide switch (debug mode), wherever it was seen.

The merged finding keeps every source (`sources`), the other locations (`also_at`), and
each member's location and snippet in `evidence["related"]`. Its severity is the
confirmed one when a probe showed the flaw over HTTP, else the highest; credentials in
example or CI files are low, with the reason. The result is sorted by severity, then
location.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from bdev.backend.audit.results import Finding, Severity
from bdev.backend.audit.security.rubric import (
    CREDENTIAL_CWES,
    ORDER,
    example_credentials,
    weakness,
)
from bdev.backend.facts import BackendFacts

APP_WIDE = frozenset({"CWE-489"})  # debug mode: one switch, however many places show it
_FILE_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+)$")
_ROUTE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>/[^\s?]*)")
_SHORT = {
    "CWE-89": "sqli",
    "CWE-78": "command-injection",
    "CWE-22": "path-traversal",
    "CWE-79": "xss",
    "CWE-1336": "ssti",
    "CWE-489": "debug",
    "CWE-215": "debug",
    "CWE-306": "missing-auth",
    "CWE-639": "idor",
    "CWE-347": "jwt",
    "CWE-352": "csrf",
    "CWE-601": "open-redirect",
    "CWE-614": "cookie-flags",
    "CWE-1004": "cookie-flags",
    "CWE-942": "cors",
    "CWE-209": "stack-trace",
    "CWE-693": "headers",
    "CWE-400": "body-size",
    "CWE-798": "secret",
    "CWE-259": "secret",
    "CWE-1395": "vulnerable-dependency",
}
_TOOL_NAME = {"ast": "bdev", "secrets": "bdev"}
Route = tuple[str, str]


def merge_findings(
    findings: Iterable[Finding], facts: BackendFacts | None = None, root: Path | None = None
) -> list[Finding]:
    """Merged, graded and sorted findings. `facts` and `root` let a static finding inside
    a route's handler meet the probe finding on that route; without them only file/line,
    dependency and application-wide matches merge."""
    items = [_labelled(f) for f in findings]
    routes = _HandlerRoutes(facts, root)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple, int] = {}
    for i, f in enumerate(items):
        for key in _keys(f, routes):
            if key in first_with:
                parent[find(i)] = find(first_with[key])
            else:
                first_with[key] = i
    groups: dict[int, list[Finding]] = {}
    for i, f in enumerate(items):
        groups.setdefault(find(i), []).append(f)
    merged = [_grade_context(_combine(members)) for members in groups.values()]
    return sorted(merged, key=sort_key)


def sort_key(f: Finding) -> tuple:
    """Severity (critical first), then location (files by name and line number)."""
    where = _FILE_LINE.match(f.location)
    place = (where["file"], int(where["line"])) if where else (f.location, 0)
    return (-ORDER[f.severity], *place, f.cwe, f.title)


def confirmed(f: Finding) -> bool:
    """Shown over HTTP: the finding carries the exchange that proves it."""
    return f.request is not None or (f.tool == "probe" and "request" in f.evidence)


def source_label(f: Finding) -> str:
    if f.tool == "bandit":
        return f"bandit {f.title.split(' ', 1)[0]}"
    tool = _TOOL_NAME.get(f.tool, f.tool or "unknown")
    return f"{tool} {_SHORT.get(f.cwe, f.cwe)}"


# --- grouping ---------------------------------------------------------------------------------


def _labelled(f: Finding) -> Finding:
    return f if f.sources else f.model_copy(update={"sources": [source_label(f)]})


def _keys(f: Finding, routes: _HandlerRoutes) -> list[tuple]:
    kind = weakness(f.cwe, f.tool, f.title)
    if kind in APP_WIDE:
        return [(kind, "app")]
    if kind == "CWE-1395" and f.evidence.get("package"):
        return [(kind, "package", str(f.evidence["package"]).lower())]
    keys: list[tuple] = []
    for where in [f.location, *f.also_at]:
        if spot := _file_line(where):
            keys.append((kind, "at", *spot))
            keys += [(kind, "route", *r) for r in routes.of(*spot)]
        elif route := _route(where):
            keys.append((kind, "route", *route))
    return keys or [(kind, "location", f.location)]


def _file_line(location: str) -> tuple[str, int] | None:
    match = _FILE_LINE.match(location)
    return (match["file"], int(match["line"])) if match else None


def _route(location: str) -> Route | None:
    match = _ROUTE.match(location)
    return (match["method"], normal_path(match["path"])) if match else None


def normal_path(path: str) -> str:
    """`/items/<int:id>/`, `/items/{item_id}` and `/items/:id` -> `/items/{}`."""
    path = re.sub(r"<[^>]*>|\{[^}]*\}|:\w+", "{}", path)
    return path.rstrip("/") or "/"


class _HandlerRoutes:
    """Which routes a source line serves: the line lies in a handler the facts name."""

    def __init__(self, facts: BackendFacts | None, root: Path | None) -> None:
        self._root = root
        self._by_file: dict[str, list[tuple[int, Route]]] = {}
        for ep in facts.endpoints if facts else []:
            if ep.location is not None:
                route = (ep.method.upper(), normal_path(ep.path))
                self._by_file.setdefault(ep.location.file, []).append((ep.location.line, route))

    def of(self, file: str, line: int) -> list[Route]:
        handlers = self._by_file.get(file)
        if not handlers or self._root is None:
            return []
        spans = _function_spans(self._root / file)
        inside = [s for s in spans if s[0] <= line <= s[1]]
        if not inside:
            return []
        start, end = min(inside, key=lambda s: s[1] - s[0])  # the innermost function
        return [route for def_line, route in handlers if start <= def_line <= end]


@cache
def _function_spans(path: Path) -> list[tuple[int, int]]:
    """(first line, last line) of every function, decorators included."""
    try:
        tree = ast.parse(path.read_text(errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [
        (min([n.lineno, *(d.lineno for d in n.decorator_list)]), n.end_lineno or n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


# --- combining --------------------------------------------------------------------------------


def _combine(members: list[Finding]) -> Finding:
    if len(members) == 1:
        return members[0]
    ranked = sorted(members, key=lambda f: (not confirmed(f), -ORDER[f.severity]))
    primary = ranked[0]
    proven = [f for f in ranked if confirmed(f)]
    graded_by = proven or ranked
    severity = max((f.severity for f in graded_by), key=ORDER.__getitem__)
    sources = list(dict.fromkeys(s for f in ranked for s in f.sources))
    also = [w for f in ranked for w in (f.location, *f.also_at) if w != primary.location]
    # Merging twice (per step, then across steps) keeps what earlier merges recorded.
    related = [r for f in ranked for r in f.evidence.get("related", [])] + [
        {
            "source": ", ".join(f.sources),
            "location": f.location,
            "title": f.title,
            **({"snippet": f.evidence["snippet"]} if f.evidence.get("snippet") else {}),
            "severity": f.severity,
        }
        for f in ranked[1:]
    ]
    reason = primary.severity_reason
    guessed: set[Severity] = {f.severity for f in ranked if not confirmed(f)}
    if proven and guessed - {severity}:
        graded: list[Severity] = sorted(guessed, key=ORDER.__getitem__)
        reason = (
            f"confirmed over HTTP ({', '.join(proven[0].sources)} at {proven[0].location});"
            f" static analysis alone graded it {'/'.join(graded)}"
        )
    with_request = next((f for f in ranked if f.request is not None), None)
    return primary.model_copy(
        update={
            "severity": severity,
            "sources": sources,
            "also_at": list(dict.fromkeys(also)),
            "evidence": {**primary.evidence, "related": related},
            "severity_reason": reason,
            "request": with_request.request if with_request else None,
            "response": with_request.response if with_request else primary.response,
        }
    )


def _grade_context(f: Finding) -> Finding:
    """Credentials in example, CI or test files are low, and the finding says why."""
    if weakness(f.cwe) not in CREDENTIAL_CWES or ORDER[f.severity] <= ORDER["low"]:
        return f
    where = [w for w in (f.location, *f.also_at) if _file_line(w) or ":" not in w]
    reasons = [example_credentials(w) for w in where]
    if not where or not all(reasons):  # one deployed copy keeps the finding's grade
        return f
    return f.model_copy(update={"severity": "low", "severity_reason": reasons[0]})
