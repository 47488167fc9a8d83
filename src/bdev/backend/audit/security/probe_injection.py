"""Injection probes: SQL injection (CWE-89) through query and path parameters, JSON and
form bodies and request headers, and path traversal (CWE-22).

Only inputs the service is known (or, lacking any spec or code, guessed) to read are
probed, a handful of requests each, and a probe stops at its first proof per operation.
"""

from __future__ import annotations

import re

from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path, encode
from bdev.backend.audit.security.inputs import Input
from bdev.backend.audit.security.targets import WRITE_METHODS, Target

BASE_VALUE = "bdevprobe"
ERROR_PAYLOAD = BASE_VALUE + "'"
TRUE_PAYLOAD = BASE_VALUE + "' OR '1'='1"
FALSE_PAYLOAD = BASE_VALUE + "' AND '1'='2"
ID_LIKE = re.compile(r"(^|_)id$")

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
FILE_LIKE = re.compile(
    r"file|path|name|doc|page|templ|dir|folder|img|image|download|include|attach"
)
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
            inputs = [(p, "query") for p in t.query_params]
            inputs += [(p, "path") for p, kind in t.path_params.items() if kind == "string"]
            for param, place in inputs:
                if found.has("CWE-89", t.endpoint):
                    break
                _probe_value(client, t, found, param, place)
        elif t.method in WRITE_METHODS:
            for field in t.body_string_fields:
                if found.has("CWE-89", t.endpoint):
                    break
                _probe_body(client, t, found, field)


def _with_value(t: Target, param: str, place: str, value: str) -> str:
    """The request path with `value` in the query or path parameter `param`."""
    if place == "query":
        return build_path(t.path, t.path_values(), {param: encode(value)})
    return build_path(t.path, t.path_values(**{param: encode(value)}))


def _probe_value(client: ProbeClient, t: Target, found: FindingSet, param: str, place: str) -> None:
    """Error-based, then boolean-based SQL injection through one parameter."""
    where = f"{t.method} {t.path}" + (
        f"?{param}=..." if place == "query" else f" (path parameter {param})"
    )

    def send(value: str) -> Exchange:
        return client.send(t.method, _with_value(t, param, place, value), endpoint=t.endpoint)

    base = send(BASE_VALUE)
    broken = send(ERROR_PAYLOAD)
    if error := _sql_error(broken):
        title = f"SQL injection: database error echoed for a quote in '{param}'"
        found.add(
            probe_finding("CWE-89", "critical", title, where, broken, focus=error), t.endpoint
        )
        return
    triples = [(base, TRUE_PAYLOAD, FALSE_PAYLOAD)]
    if ID_LIKE.search(param.lower()):
        triples.append((send("1"), "1 OR 1=1", "1 AND 1=2"))  # a number spliced in unquoted
    for normal, true_payload, false_payload in triples:
        yes, no = send(true_payload), send(false_payload)
        if _boolean_difference(normal, yes, no):
            title = f"SQL injection: {true_payload!r} in '{param}' returns more than a normal value"
            baseline = normal.evidence()["response"]
            finding = probe_finding("CWE-89", "critical", title, where, yes, baseline=baseline)
            found.add(finding, t.endpoint)
            return
    if broken.status >= 500 and 0 < base.status < 500:
        found.add(
            probe_finding(
                "CWE-89",
                "high",
                f"Possible SQL injection: a quote in '{param}' causes a server error",
                where,
                broken,
            ),
            t.endpoint,
        )


def _probe_body(client: ProbeClient, t: Target, found: FindingSet, field: str) -> None:
    _probe_error_based(client, Input(t, "body", field), found)


def _probe_error_based(
    client: ProbeClient, inp: Input, found: FindingSet, server_error_counts: bool = True
) -> None:
    """A quote through one input: the database's error text echoed is proof; a 500 where
    the plain value got an answer is a strong hint (unless `server_error_counts` is off,
    for inputs only guessed at)."""
    base = inp.send(client, BASE_VALUE)
    broken = inp.send(client, ERROR_PAYLOAD)
    what = {"body": f"{inp.target.body_kind.replace('json', 'JSON')} field", "header": "header"}
    label = f"{what.get(inp.place, 'parameter')} '{inp.name}'"
    if error := _sql_error(broken):
        title = f"SQL injection: database error echoed for a quote in {label}"
        found.add(
            probe_finding("CWE-89", "critical", title, inp.location, broken, focus=error),
            inp.target.endpoint,
        )
    elif server_error_counts and broken.status >= 500 and 0 < base.status < 500:
        title = f"Possible SQL injection: a quote in {label} causes a server error"
        found.add(probe_finding("CWE-89", "high", title, inp.location, broken), inp.target.endpoint)


# Headers that services commonly store or look up (access logs, analytics, tenancy).
GUESSED_HEADERS = ["User-Agent", "Referer", "X-Forwarded-For"]
MAX_GUESSED_HEADER_TARGETS = 8


def check_sql_injection_headers(
    client: ProbeClient, targets: list[Target], found: FindingSet
) -> None:
    """Headers the handler reads (from its code or the spec), then a few common ones on a
    handful of operations, where only the database's own error text counts."""
    for t in targets:
        for name in t.header_params:
            if not found.has("CWE-89", t.endpoint):
                _probe_error_based(client, Input(t, "header", name), found)
    for t in [t for t in targets if not t.header_params][:MAX_GUESSED_HEADER_TARGETS]:
        for name in GUESSED_HEADERS:
            if found.has("CWE-89", t.endpoint):
                break
            _probe_error_based(client, Input(t, "header", name), found, server_error_counts=False)


def _sql_error(ex: Exchange) -> str:
    """The database error text in a failed response, or ""."""
    match = SQL_ERRORS.search(ex.text) if ex.status >= 400 else None
    return match.group(0) if match else ""


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
    base_rows, yes_rows, no_rows = _rows(base), _rows(yes), _rows(no)
    if base_rows is not None and yes_rows is not None and no_rows is not None:
        return yes_rows > base_rows and no_rows == base_rows
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
        match = PASSWD.search(ex.text) if 200 <= ex.status < 300 else None
        if match:
            title = f"Path traversal: '{param}' reads /etc/passwd"
            found.add(
                probe_finding("CWE-22", "high", title, location, ex, focus=match.group(0)),
                t.endpoint,
            )
            return
