"""README layouts of an API, written out as the `METHOD /path` that `operations` reads.

    as_mentions("| /books | GET | all books |")      # "| GET /books | all books |"
    as_mentions("curl -d '{\"name\": \"soda\"}' localhost:8080/v0/items")
    # "POST /v0/items with body {\"name\": \"soda\"}"

READMEs name routes in a few set ways besides "POST /notes": a table with a method
column and a path column, curl commands (the method from `-X`, else POST when data is
sent), an example path with a real id in it (`/articles/1`) or a quoted placeholder
(`/users/"id"`). Each is rewritten in place, so the sentences around it stay the
operation's passage. Docs that head each section with a bare path get its method from
`methods_for_path_headings`, where nothing else names one.

Written by hand: no library reads routes out of README text. `shlex` splits the curl
commands the way a shell would.
"""

from __future__ import annotations

import re
import shlex

# One or more methods: "GET", "GET and DELETE", "GET/POST".
METHODS = r"(?:GET|POST|PUT|PATCH|DELETE)(?:\s*(?:,|/|and|or)\s*(?:GET|POST|PUT|PATCH|DELETE))*"


def as_mentions(text: str) -> str:
    """`text` with the routes its layouts name written as `METHOD /path`."""
    return _quoted_placeholders(_table_rows(_curl_commands(text)))


def concrete_ids(path: str) -> str:
    """An example path's real ids as `{id}`: "/articles/1", "/items/b379fdbaqj868olu1gi0"
    or a UUID name one item of the collection before them."""
    out, n = [], 0
    for segment in path.split("/"):
        if _CONCRETE_ID.fullmatch(segment):
            n += 1
            segment = "{id}" if n == 1 else f"{{id{n}}}"
        out.append(segment)
    return "/".join(out)


# All digits; a UUID; or a long generated key, letters and at least two digits.
_CONCRETE_ID = re.compile(
    r"\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?=(?:[a-z]*\d){2})(?=[a-z\d]*[a-z])[a-z\d]{10,}",
    re.I,
)


# --- tables -------------------------------------------------------------------------
_METHOD_CELL = re.compile(rf"[*_`\s]*({METHODS})[*_`\s]*")
_PATH_CELL = re.compile(r"[*_`\s]*((?:https?://[^/\s|]+)?/[^\s|*`]*)[*_`\s]*")


def _table_rows(text: str) -> str:
    """Rows of a Markdown table with a method cell and a path cell, as "| GET /books |
    the other cells |"."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        cells = line.strip().strip("|").split("|")
        method = next((m[1] for c in cells if (m := _METHOD_CELL.fullmatch(c))), None)
        path = next((m[1] for c in cells if (m := _PATH_CELL.fullmatch(c))), None)
        if method and path:
            rest = [c.strip() for c in cells if not _METHOD_CELL.fullmatch(c)]
            rest = [c for c in rest if not _PATH_CELL.fullmatch(c)]
            lines[n] = f"| {method} {path} | {' | '.join(rest)} |"
    return "\n".join(lines)


# --- curl ---------------------------------------------------------------------------
_CURL = re.compile(r"(?<![\w-])curl\s")
_DATA = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json"})
_FORM = frozenset({"-F", "--form"})
_HEADER = frozenset({"-H", "--header"})
# Options that take a value, so the value is never taken for the URL.
_VALUED = frozenset({
    "-w", "--write-out", "-o", "--output", "-u", "--user", "-A", "--user-agent", "-e",
    "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-m", "--max-time",
    "--connect-timeout", "-x", "--proxy", "--cacert", "--cert", "-K", "--config",
})  # fmt: skip
_URL = re.compile(
    r"(?:https?://)?(?:localhost|\d+(?:\.\d+){3}|\[[\d:a-f]+\]|[\w-]+(?:\.[\w-]+)+)"
    r"(?::\d+)?(?P<target>[/?]\S*)?",
    re.I,
)
# Headers that say how, not who: left out of the rewritten line.
_PLAIN_HEADERS = ("content-type", "accept")


def _curl_commands(text: str) -> str:
    out, done = [], 0
    for found in _CURL.finditer(text):
        if found.start() < done:
            continue  # inside the command before
        end = _command_end(text, found.start())
        request = _curl_request(text[found.start() : end])
        if request:
            out += [text[done : found.start()], request]
            done = end
    return "".join(out) + text[done:]


def _command_end(text: str, start: int) -> int:
    """Where a shell command ends: an unquoted newline not escaped with a backslash, or
    the backtick that closes the inline code around it."""
    quote = ""
    n = start
    while n < len(text):
        char = text[n]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "\\" and text[n + 1 : n + 2] == "\n":
            n += 1
        elif char in "\n`":
            return n
        n += 1
    return n


def _curl_request(command: str) -> str | None:
    """The request one curl command makes, as "METHOD /path with the header ... with
    body ...", or None when it names no URL or a method bdev does not serve."""
    command = command.replace("\\\n", " ")
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    method, url = "", ""
    data: list[str] = []
    form: list[str] = []
    headers: list[str] = []
    args = iter(words[1:])
    for word in args:
        if word in ("-X", "--request"):
            method = next(args, "").upper()
        elif word.startswith("-X") and len(word) > 2:
            method = word[2:].upper()
        elif word in ("-I", "--head"):
            method = "HEAD"
        elif word in _DATA:
            data.append(next(args, ""))
        elif word in _FORM:
            form.append(next(args, "").partition("=")[0])
        elif word in _HEADER:
            header = next(args, "")
            if not header.lower().startswith(_PLAIN_HEADERS):
                headers.append(header)
        elif word in _VALUED:
            next(args, "")
        elif word == "--url" or (not word.startswith("-") and not url and _URL.fullmatch(word)):
            url = next(args, "") if word == "--url" else word
    target = _URL.fullmatch(url)
    method = method or ("POST" if data or form else "GET")
    if not target or method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        return None
    path = target["target"] or "/"
    path = path if path.startswith("/") else f"/{path}"
    parts = [f"{method} {path}"]
    parts += [f"with the header `{h}`" for h in headers]
    parts += [f"with body {d}" for d in data]
    parts += [f"as multipart form-data with the field `{f}`" for f in form if f]
    return " ".join(parts)


# --- placeholders and headings ------------------------------------------------------
def _quoted_placeholders(text: str) -> str:
    """`/users/"id"` as `/users/{id}`."""
    return re.sub(r"(?<=/)\"(\w+)\"", r"{\1}", text)


# API docs that head each section with a bare path ("### `/users/<int:pk>/`") and name
# a method only where it is not GET ("PATCH body format").
_PATH_HEADING = re.compile(r"^(#{1,6})\s*`?(/[^\s`]*)`?\s*$", re.MULTILINE)
_OTHER_METHOD = re.compile(r"\b(POST|PUT|PATCH|DELETE)\b")


def methods_for_path_headings(text: str) -> str:
    """`text` with each bare path heading given its method: the one its section names
    (POST, PUT, PATCH or DELETE, when only one), else GET, as such docs mean it."""
    headings = list(_PATH_HEADING.finditer(text))
    out, last = [], 0
    for n, heading in enumerate(headings):
        end = headings[n + 1].start() if n + 1 < len(headings) else len(text)
        named = set(_OTHER_METHOD.findall(text[heading.end() : end]))
        method = named.pop() if len(named) == 1 else "GET"
        out.append(text[last : heading.start()])
        out.append(f"{heading[1]} {method} {heading[2]}\n")
        last = heading.end() + 1
    return "".join(out) + text[last:]
