"""Injection probes: SQL injection (CWE-89) and path traversal (CWE-22).

Only inputs the service is known (or, lacking any spec or code, guessed) to read are
probed, a handful of requests each, and a probe stops at its first proof per operation.
"""

from __future__ import annotations

import re

from bdev.backend.audit.sec_findings import FindingSet, probe_finding
from bdev.backend.audit.sec_http import Exchange, ProbeClient, build_path, encode
from bdev.backend.audit.sec_targets import WRITE_METHODS, Target

BASE_VALUE = "bdevprobe"
ERROR_PAYLOAD = BASE_VALUE + "'"
TRUE_PAYLOAD = BASE_VALUE + "' OR '1'='1"
FALSE_PAYLOAD = BASE_VALUE + "' AND '1'='2"

SQL_ERRORS = re.compile(
    "|".join(
        [
            r"sqlite3?\.\w*Error",
            r"unrecognized token",
            r'near "[^"]*": syntax error',
            r"You have an error in your SQL syntax",
            r"unterminated quoted string",
            r"quoted string not properly terminated",
            r"Unclosed quotation mark",
            r"psycopg2?\.errors",
            r"pg_query\(\)",
            r"SQLSTATE\[",
            r"ORA-\d{5}",
            r"sqlalchemy\.exc\.",
        ]
    ),
    re.IGNORECASE,
)

PASSWD = re.compile(r"root:[^:\n]*:0:0:")
FILE_LIKE = re.compile(r"file|path|name|doc|page|templ|dir|folder|img|image|download|include|attach")
DEPTH = 12  # enough "../" to climb from any app directory to /
QUERY_TRAVERSALS = [
    encode("../" * DEPTH + "etc/passwd"),
    encode("/etc/passwd"),
    encode("....//" * DEPTH + "etc/passwd"),  # defeats a single non-recursive "../" strip
]
PATH_TRAVERSALS = [
    encode("../" * DEPTH + "etc/passwd"),
    "%2e%2e%2f" * DEPTH + "etc%2fpasswd",
    encode("/etc/passwd"),
]


def check_sql_injection(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    for t in targets:
        if t.method == "GET":
            for param in t.query_params:
                if found.has("CWE-89", t.endpoint):
                    break
                _probe_value(client, t, found, param, lambda v, p=param: _query_path(t, p, v))
            for param, kind in t.path_params.items():
                if kind == "string" and not found.has("CWE-89", t.endpoint):
                    _probe_value(client, t, found, param, lambda v, p=param: _in_path(t, p, v))
        elif t.method in WRITE_METHODS:
            for field in t.body_string_fields:
                if found.has("CWE-89", t.endpoint):
                    break
                _probe_body(client, t, found, field)


def _query_path(t: Target, param: str, value: str) -> str:
    return build_path(t.path, t.path_values(), {param: encode(value)})


def _in_path(t: Target, param: str, value: str) -> str:
    return build_path(t.path, t.path_values(**{param: encode(value)}))


def _probe_value(client, t: Target, found: FindingSet, param: str, path_for) -> None:
    where = f"{t.method} {t.path}" + (
        f"?{param}=..." if param in t.query_params else f" (path parameter {param})"
    )
    base = client.send(t.method, path_for(BASE_VALUE), endpoint=t.endpoint)
    broken = client.send(t.method, path_for(ERROR_PAYLOAD), endpoint=t.endpoint)
    if _sql_error(broken):
        found.add(probe_finding("CWE-89", "critical", "SQL injection: database error echoed "
                                f"for a quote in '{param}'", where, broken), t.endpoint)
        return
    yes = client.send(t.method, path_for(TRUE_PAYLOAD), endpoint=t.endpoint)
    no = client.send(t.method, path_for(FALSE_PAYLOAD), endpoint=t.endpoint)
    if _boolean_difference(base, yes, no):
        found.add(probe_finding("CWE-89", "critical", f"SQL injection: '{param}' OR '1'='1 "
                                "returns more than a normal value", where, yes,
                                baseline=base.evidence()["response"]), t.endpoint)
    elif broken.status >= 500 and 0 < base.status < 500:
        found.add(probe_finding("CWE-89", "high", f"Possible SQL injection: a quote in '{param}' "
                                "causes a server error", where, broken), t.endpoint)


def _probe_body(client, t: Target, found: FindingSet, field: str) -> None:
    path = build_path(t.path, t.path_values())
    body = dict(t.body or {})
    base = client.send(t.method, path, json=body, endpoint=t.endpoint)
    broken = client.send(t.method, path, json={**body, field: ERROR_PAYLOAD}, endpoint=t.endpoint)
    where = f"{t.method} {t.path} (JSON field {field})"
    if _sql_error(broken):
        found.add(probe_finding("CWE-89", "critical", f"SQL injection: database error echoed "
                                f"for a quote in JSON field '{field}'", where, broken), t.endpoint)
    elif broken.status >= 500 and 0 < base.status < 500:
        found.add(probe_finding("CWE-89", "high", f"Possible SQL injection: a quote in JSON "
                                f"field '{field}' causes a server error", where, broken),
                  t.endpoint)


def _sql_error(ex: Exchange) -> bool:
    return ex.status >= 400 and bool(SQL_ERRORS.search(ex.text))


def _rows(ex: Exchange) -> int | None:
    """How many records a JSON answer holds: a list, or the first list inside an object."""
    try:
        data = ex.response.json() if ex.response is not None else None
    except ValueError:
        return None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        return next((len(v) for v in data.values() if isinstance(v, list)), None)
    return None


def _boolean_difference(base: Exchange, yes: Exchange, no: Exchange) -> bool:
    """The always-true payload widens the result while the always-false one does not."""
    if not all(200 <= ex.status < 300 for ex in (base, yes, no)):
        return False
    rows = (_rows(base), _rows(yes), _rows(no))
    if None not in rows:
        return rows[1] > rows[0] and rows[2] == rows[0]
    # Not JSON lists: compare sizes, allowing for the payload being echoed back.
    slack = len(TRUE_PAYLOAD) + 50
    return len(yes.text) > len(base.text) + slack and abs(len(no.text) - len(base.text)) < slack


def check_path_traversal(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    for t in targets:
        if t.method != "GET":
            continue
        inputs = [(p, "query") for p in t.query_params if FILE_LIKE.search(p.lower())]
        inputs += [
            (p, "path")
            for p, kind in t.path_params.items()
            if kind == "string" and FILE_LIKE.search(p.lower())
        ]
        for param, place in inputs:
            if found.has("CWE-22", t.endpoint):
                break
            _traverse(client, t, found, param, place)


def _traverse(client: ProbeClient, t: Target, found: FindingSet, param: str, place: str) -> None:
    for payload in QUERY_TRAVERSALS if place == "query" else PATH_TRAVERSALS:
        if place == "query":
            path = build_path(t.path, t.path_values(), {param: payload})
            location = f"GET {t.path}?{param}=..."
        else:
            path = build_path(t.path, t.path_values(**{param: payload}))
            location = f"GET {t.path} (path parameter {param})"
        ex = client.send("GET", path, endpoint=t.endpoint)
        if 200 <= ex.status < 300 and PASSWD.search(ex.text):
            title = f"Path traversal: '{param}' reads /etc/passwd"
            found.add(probe_finding("CWE-22", "high", title, location, ex), t.endpoint)
            return
