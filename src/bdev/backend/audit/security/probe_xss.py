"""Cross-site scripting (CWE-79), reflected and stored.

The payload is `"'><script>/*MARKER*/</script>`: it leaves an attribute value or a text
node alike. A finding needs the `<script>` element with the run's unique marker back
*unescaped* in a `text/html` answer, outside comments and text-only elements (textarea,
title, ...), where a browser would run it; JSON or escaped echoes (`&lt;script&gt;`) are
not findings.
"""

from __future__ import annotations

import re
import secrets

from bdev.backend.audit.security.findings import FindingSet, probe_finding
from bdev.backend.audit.security.http import Exchange, ProbeClient, build_path, encode
from bdev.backend.audit.security.inputs import inputs_of
from bdev.backend.audit.security.objects import created_id, item_path, item_targets
from bdev.backend.audit.security.targets import Target

CWE = "CWE-79"
MAX_PAGES = 12  # pages read back after storing payloads


def marker() -> str:
    return "bdevxss" + secrets.token_hex(4)


def payload(mark: str) -> str:
    return f"\"'><script>/*{mark}*/</script>"


def executable(mark: str) -> str:
    """What must come back verbatim for the payload to run."""
    return f"<script>/*{mark}*/</script>"


# Where markup is inert text: comments (a debugger's plain-text traceback sits in one)
# and raw-text/RCDATA elements. The payload carries no closing tag for any of them.
INERT = re.compile(
    r"<!--.*?(?:-->|$)|<(textarea|title|xmp|noscript|noembed|noframes|style)\b.*?</\1\s*>",
    re.S | re.I,
)


def reflected_in_html(ex: Exchange, mark: str) -> bool:
    if ex.response is None:
        return False
    html = "text/html" in ex.response.headers.get("content-type", "").lower()
    return html and executable(mark) in INERT.sub("", ex.text)


def check_reflected_xss(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    mark = marker()
    ex = client.send("GET", "/bdev-" + encode(payload(mark)), endpoint="GET /{not-found}")
    if reflected_in_html(ex, mark):
        title = "Reflected XSS: the unknown path is echoed unescaped in an HTML page"
        where = "GET /{unknown path} (the not-found handler)"
        found.add(_finding(title, where, ex, mark), "GET /{not-found}")
    for t in targets:
        for inp in inputs_of(t, ("query", "path", "body")):
            if found.has(CWE, t.endpoint):
                break
            mark = marker()
            ex = inp.send(client, payload(mark))
            if reflected_in_html(ex, mark):
                title = f"Reflected XSS: '{inp.name}' is echoed unescaped in an HTML page"
                found.add(_finding(title, inp.location, ex, mark), t.endpoint)


def check_stored_xss(client: ProbeClient, targets: list[Target], found: FindingSet) -> None:
    """Store a payload through each creating operation, then read the pages back."""
    stored: dict[str, tuple[Target, Exchange]] = {}
    for t in targets:
        if t.method != "POST" or not t.body_string_fields:
            continue
        mark = marker()
        body = {**(t.body or {}), **dict.fromkeys(t.body_string_fields, payload(mark))}
        ex = client.send(
            t.method, build_path(t.path, t.path_values()), **t.body_args(body), endpoint=t.endpoint
        )
        if 200 <= ex.status < 400:
            stored[mark] = (t, ex)
    if not stored:
        return
    for page in _pages(targets, stored):
        ex = client.send("GET", page, endpoint=f"GET {page}")
        for mark, (t, write) in stored.items():
            if reflected_in_html(ex, mark) and not found.has(CWE, "stored " + t.endpoint):
                title = f"Stored XSS: script sent to {t.endpoint} is served unescaped by GET {page}"
                finding = _finding(title, t.endpoint, ex, mark, stored_by=write.evidence())
                found.add(finding, "stored " + t.endpoint)


def _pages(targets: list[Target], stored: dict[str, tuple[Target, Exchange]]) -> list[str]:
    """Where stored input may be shown: the page a creating request redirected to, the
    created object's own page, and list pages without parameters."""
    pages: list[str] = []
    for t, write in stored.values():
        location = write.response.headers.get("location", "") if write.response else ""
        if location.startswith("/"):
            pages.append(location)
        object_id = created_id(write)
        if object_id is not None:
            pages += [
                item_path(i, object_id) for i in item_targets(t, targets) if i.method == "GET"
            ]
    pages += [t.path for t in targets if t.method == "GET" and not t.path_params]
    return list(dict.fromkeys(pages))[:MAX_PAGES]


def _finding(title: str, where: str, ex: Exchange, mark: str, **extra: object):
    return probe_finding(
        CWE, "high", title, where, ex, focus=executable(mark), payload=payload(mark), **extra
    )
