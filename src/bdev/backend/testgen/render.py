"""The generated pytest module as text: a header, the client helper, one function per check.

The module runs in-process with the framework's own test client and needs only pytest
and jsonschema besides the service; the schemas it checks are embedded, `$ref`s resolved.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bdev.backend.audit.security.auth import TOKEN_FIELDS
from bdev.backend.testgen.app_target import AppTarget
from bdev.backend.testgen.operations import Check, Operation, Request, SignIn
from bdev.executables import find_executable

MARKER = "# bdev:generated-tests"
HEADER = f"""{MARKER}
# Written by bdev from the service's OpenAPI document and its route analysis; bdev
# rewrites this file on its next run. Keep your own tests in another file.
"""
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>|\{([^{}:]+)(?::[^{}]*)?\}")


@dataclass
class Slot:
    """Assert lines about `data` (the success body), or about other calls, that the
    request states."""

    operation: str  # Operation.name
    lines: list[str] = field(default_factory=list)
    number: int = 1  # an operation's slots are tests of their own: one wrong line drops one
    name: str = ""  # the test's own name, when the lines say what they check
    source: str = "model"  # "model", or "request": bdev's check of a rule the request states
    about: str = ""  # what it checks, in words (for the model when it fails)

    @property
    def test_name(self) -> str:
        if self.name:
            return self.name
        suffix = f"_{self.number}" if self.number > 1 else ""
        return f"test_{self.operation}_matches_the_request{suffix}"


def render_module(target: AppTarget, ops: list[Operation], slots: Sequence[Slot] = ()) -> str:
    by_name = {op.name: op for op in ops}
    signer = next((c.sign_in for op in ops for c in op.checks if c.sign_in), None)
    parts = [HEADER + _prelude(target, signed=signer is not None)]
    if signer is not None:
        parts.append(_sign_in_helper(signer, target.framework))
    for op in ops:
        if op.schema is not None and any(c.schema is not None for c in op.checks):
            parts.append(f"{_const(op)} = {op.schema!r}")
        parts += [_function(check) for check in op.checks]
    for slot in slots:
        owner = by_name.get(slot.operation)
        success = _slot_check(owner) if owner is not None else None
        if owner is not None and success is not None and slot.lines:
            parts.append(_slot_function(owner, success, slot))
    return format_code("\n\n\n".join(parts) + "\n")


def _slot_check(op: Operation) -> Check | None:
    return next((c for c in op.checks if c.name.endswith("_succeeds")), None)


def slot_request(op: Operation) -> str:
    """The call whose answer a slot's `data` is, as the test module makes it."""
    check = _slot_check(op)
    if check is None:
        return ""
    return _call(check.request, {"created_id"} if check.create else set(), bool(check.sign_in))


def slot_call(op: Operation, **changes: Any) -> str:
    """The slot's request with some of its parts replaced (`params=`, `body=` with
    `has_body=True`), as the test module makes it; "" without a success check."""
    check = _slot_check(op)
    if check is None:
        return ""
    request = dataclasses.replace(check.request, **changes)
    return _call(request, {"created_id"} if check.create else set(), bool(check.sign_in))


def slot_operations(ops: list[Operation]) -> list[Operation]:
    """The operations a slot can state expectations about: a success test exists."""
    return [op for op in ops if _slot_check(op) is not None]


def _prelude(target: AppTarget, *, signed: bool = False) -> str:
    root = "Path(__file__).resolve().parents[1]"
    if target.app_dir:
        root += f" / {target.app_dir!r}"
    make = f"{target.attribute}()" if target.factory else target.attribute
    imports = [
        "from __future__ import annotations",
        "",
        "import sys",
        *(["import uuid"] if signed else []),
        *(["from collections.abc import Iterator"] if target.framework != "flask" else []),
        "from pathlib import Path",
        "from typing import Any, NamedTuple",
        "",
        "import jsonschema",
        "import pytest" if target.framework != "flask" or signed else "",
        "from fastapi.testclient import TestClient" if target.framework == "fastapi" else "",
        "from starlette.testclient import TestClient" if target.framework == "starlette" else "",
        "",
        "# The service, importable whatever directory pytest runs in.",
        f"sys.path.insert(0, str({root}))",
        "",
        f"from {target.module} import {target.attribute}  # noqa: E402",
        "",
    ]
    text = "\n".join(line for i, line in enumerate(imports) if line or imports[i - 1])
    text = '"""In-process tests of every API operation, from its documented contract."""\n\n' + text
    if target.framework == "flask":
        return text + _FLASK.format(make=make)
    return text + _ASGI.format(make=make)


_ASGI = '''
client = TestClient({make})


@pytest.fixture(scope="module", autouse=True)
def _serve() -> Iterator[None]:
    """The app's startup and shutdown handlers run around the tests, as under a server."""
    with client:
        yield


class Reply(NamedTuple):
    status: int
    data: Any  # the decoded JSON body; None when there is none
    text: str


def call(method: str, path: str, **request: Any) -> Reply:
    """One request (params=, json=, headers=) through the test client."""
    response = client.request(method, path, **request)
    try:
        data = response.json()
    except ValueError:
        data = None
    return Reply(response.status_code, data, response.text[:500])'''

_FLASK = '''
_app = {make}
_app.testing = True  # an exception fails the test with its traceback, not a bare 500
client = _app.test_client()


class Reply(NamedTuple):
    status: int
    data: Any  # the decoded JSON body; None when there is none
    text: str


def call(method: str, path: str, *, params: Any = None, **request: Any) -> Reply:
    """One request (params=, json=, headers=) through the test client."""
    response = client.open(path, method=method, query_string=params, **request)
    data = response.get_json(silent=True)
    return Reply(response.status_code, data, response.get_data(as_text=True)[:500])'''


def _const(op: Operation) -> str:
    return f"{op.name.upper()}_{op.success or 'OK'}_BODY"


def _function(check: Check) -> str:
    if check.expect == "not_theirs":
        return _not_theirs_function(check)
    if check.expect == "not_listed":
        return _not_listed_function(check)
    lines = [f"def {check.name}() -> None:", f'    """{check.about}"""']
    lines += [f"    {line}" for line in _request_lines(check)]
    lines += [f"    {line}" for line in _expect_lines(check)]
    return "\n".join(lines)


def _request_lines(check: Check) -> list[str]:
    lines = ["auth = signed_in()"] if check.sign_in else []
    if check.create is not None:
        lines.append(f"created = {_call(check.create, set())}")
        status = check.create_status
        lines.append(
            f"assert created.status == {status}, created.text"
            if status
            else "assert 200 <= created.status < 300, created.text"
        )
        lines.append(f"created_id = created.data[{check.create_field!r}]")
    if check.maybe_absent:
        lines.append("# bdev made the path's value up: an absent resource may answer 404")
    variables = {"created_id"} if check.create else set()
    lines.append(f"reply = {_call(check.request, variables, bool(check.sign_in))}")
    return lines


def _expect_lines(check: Check) -> list[str]:
    status = check.status
    if check.expect == "unauthorized":
        return ["assert reply.status in (401, 403), reply.text"]
    if check.expect == "client_error":
        return ["assert 400 <= reply.status < 500, reply.text"]
    if check.expect == "not_server_error":
        return ["assert reply.status < 500, reply.text"]
    wanted = str(status) if status else None
    schema = f"jsonschema.validate(reply.data, {_const_for(check)})" if check.schema else ""
    if check.maybe_absent:
        lines = [
            f"assert reply.status in ({wanted}, 404), reply.text"
            if wanted
            else "assert 200 <= reply.status < 300 or reply.status == 404, reply.text"
        ]
        if schema:
            lines += [f"if reply.status == {wanted}:", f"    {schema}"]
        return lines
    lines = [
        f"assert reply.status == {wanted}, reply.text"
        if wanted
        else "assert 200 <= reply.status < 300, reply.text"
    ]
    return lines + ([schema] if schema else [])


def _not_theirs_function(check: Check) -> str:
    """One new user creates an object; another reaches it through `check`'s operation.
    Not checked (skipped) when a new user cannot create one or its id is not in the
    answer: nothing can be concluded then."""
    assert check.create is not None
    (param,) = check.request.path_values
    fields = (check.create_field,) if check.create_field else tuple(dict.fromkeys((param, "id")))
    statuses = check.not_theirs
    expect = (
        f"assert reply.status == {statuses[0]}, reply.text"
        if len(statuses) == 1
        else f"assert reply.status in {statuses!r}, reply.text"
    )
    create = _call(check.create, set(), signed=True, auth="owner")
    reach = _call(check.request, {"created_id"}, signed=True, auth="signed_in()")
    return "\n".join(
        [
            f"def {check.name}() -> None:",
            f'    """{check.about}"""',
            "    owner = signed_in()",
            f"    created = {create}",
            "    data = created.data if isinstance(created.data, dict) else {}",
            f"    created_id = next((data[k] for k in {fields!r} if k in data), None)",
            "    if created.status >= 300 or created_id is None:",
            "        why = f'a new user creating one answered {created.status}: {created.text}'",
            '        pytest.skip(f"not checked: {why}")',
            f"    reply = {reach}",
            f"    {expect}",
        ]
    )


def _not_listed_function(check: Check) -> str:
    """One new user creates an object marked `check.marker`; another one's listing
    must not hold the marker. Not checked (skipped) when a new user cannot create one,
    or when the owner's own listing does not show it either."""
    assert check.create is not None
    marker = check.marker
    return "\n".join(
        [
            f"def {check.name}() -> None:",
            f'    """{check.about}"""',
            "    owner = signed_in()",
            f"    created = {_call(check.create, set(), signed=True, auth='owner')}",
            f"    own = {_call(check.request, set(), signed=True, auth='owner')}",
            f"    if created.status >= 300 or {marker!r} not in own.text:",
            "        why = f'a new user creating one answered {created.status}, '",
            "        why += f'and its own listing {own.status}'",
            '        pytest.skip(f"not checked: {why}")',
            f"    reply = {_call(check.request, set(), signed=True, auth='signed_in()')}",
            "    assert reply.status < 300, reply.text",
            f"    assert {marker!r} not in reply.text, reply.text",
        ]
    )


def _const_for(check: Check) -> str:
    name = check.name.removeprefix("test_").removesuffix("_succeeds")
    return f"{name.upper()}_{check.status or 'OK'}_BODY"


def _call(request: Request, variables: set[str], signed: bool = False, auth: str = "auth") -> str:
    """The call as code; `signed`: with the headers `auth` (`auth = signed_in()`) holds."""
    path = _path(request, variables)
    args = [repr(request.method), path]
    if request.params:
        args.append(f"params={request.params!r}")
    if request.has_body:
        args.append(f"json={request.body!r}")
    if request.headers and signed:
        args.append(f"headers={{**{auth}, **{request.headers!r}}}")
    elif request.headers or signed:
        args.append(f"headers={request.headers!r}" if request.headers else f"headers={auth}")
    return f"call({', '.join(args)})"


def _path(request: Request, variables: set[str]) -> str:
    """The path as a literal, or an f-string when a value comes from a round trip."""
    dynamic = False

    def fill(match: re.Match[str]) -> str:
        nonlocal dynamic
        name = match.group(1) or match.group(2)
        value: Any = request.path_values.get(name, 1)
        if value is None and variables:
            dynamic = True
            return "{created_id}"
        return quote(str(value if value is not None else 1), safe="")

    path = _PARAM.sub(fill, request.path)
    return f"f{path!r}" if dynamic else repr(path)


def _slot_function(op: Operation, check: Check, slot: Slot) -> str:
    about = (
        "a rule the request states"
        if slot.source == "request"
        else "what the request states about the answer"
    )
    lines = [f"def {slot.test_name}() -> None:", f'    """{op.method} {op.path}: {about}."""']
    lines += [f"    {line}" for line in _request_lines(check)]
    lines += [f"    {line}" for line in _expect_lines(check) if not line.startswith("jsonschema")]
    lines += ["    data = reply.data", *(f"    {line}" for line in slot.lines)]
    return "\n".join(lines)


def _sign_in_helper(signer: SignIn, framework: str) -> str:
    """`signed_in()`: headers of a new user for one test, and `_token` to read them."""
    source = signer.register or signer.login
    fields = []
    for key, value in source.body.items():
        if key in signer.unique:
            email = "email" in key.lower() or (isinstance(value, str) and "@" in value)
            fields.append(f"{key!r}: " + ('f"u{tag}@example.org"' if email else 'f"u{tag}"'))
        else:
            fields.append(f"{key!r}: {value!r}")
    login = ", ".join(f"{k!r}: user[{k!r}]" for k in signer.login_fields)
    lines = [
        "def signed_in() -> dict[str, str]:",
        '    """Headers of a new user, signed in for this test alone; the test is skipped',
        '    (not checked) when signing in does not go as bdev read it from the API."""',
        "    tag = uuid.uuid4().hex[:10]",
        f"    user = {{{', '.join(fields)}}}",
    ]
    if signer.register is not None:
        lines += [
            f"    registered = {_posted(signer.register, 'user')}",
            "    if registered.status >= 300:",
            "        why = f'registering a new user answered {registered.status}'",
            '        pytest.skip(f"not checked: {why}")',
        ]
    lines += [
        f"    answer = {_posted(signer.login, '{' + login + '}')}",
        "    token = _token(answer.data) if answer.status < 300 else None",
        *_FORGET_COOKIES[framework != "flask"],
        "    if token is None:",
        '        pytest.skip(f"not checked: logging in answered {answer.status} without a token")',
        '    return {"Authorization": f"Bearer {token}"}',
        "",
        "",
        "def _token(data: Any) -> str | None:",
        '    """The token in a login\'s answer: a field named like one, at any depth."""',
        "    if not isinstance(data, dict):",
        "        return None",
        f"    for key in {TOKEN_FIELDS!r}:",
        "        if isinstance(data.get(key), str):",
        "            return data[key]",
        "    return next((t for t in map(_token, data.values()) if t), None)",
    ]
    return "\n".join(lines)


def _posted(request: Request, body: str) -> str:
    return f"call({request.method!r}, {_path(request, set())}, json={body})"


# The token alone signs a test's request in: cookies the login set are dropped, or the
# tests of requests without credentials would carry them.
_FORGET_COOKIES = (
    [
        '    jar = getattr(client, "_cookies", None) or getattr(client, "cookie_jar", None)',
        "    if jar is not None:",
        "        jar.clear()",
    ],
    ["    client.cookies.clear()"],
)


def format_code(text: str) -> str:
    """`text` formatted by ruff (as is when ruff is missing or fails)."""
    ruff = find_executable("ruff")
    if not ruff:
        return text
    cmd = [ruff, "format", "--isolated", "--line-length", "100", "--stdin-filename", "t.py", "-"]
    try:
        done = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return text
    return done.stdout if done.returncode == 0 and done.stdout else text
