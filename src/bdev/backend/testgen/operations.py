"""What to test per operation: the OpenAPI document and the route analysis, combined.

Each operation gets a few checks, each one a test function: a valid request answering
its documented success status and body; requests breaking the body's required fields or
bounds answering 4xx; without credentials, 401/403 where auth is required. Nothing is
expected that the document or the code does not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bdev.backend.facts import BackendFacts, Endpoint
from bdev.backend.openapi import OPERATIONS, route_shape
from bdev.backend.testgen.bodies import inferred_body
from bdev.backend.testgen.schema import example, object_schema, out_of_bounds, resolve

Expect = Literal[
    "success", "client_error", "unauthorized", "not_server_error", "not_theirs", "not_listed"
]
MAX_INVALID = 3  # invalid-body checks per operation: the first required field, two bounds
_NAME = re.compile(r"[^0-9a-zA-Z]+")
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>|\{([^{}:]+)(?::[^{}]*)?\}")


@dataclass
class Request:
    method: str
    path: str  # the template, e.g. /items/{item_id}
    path_values: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # query
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False


@dataclass
class Check:
    name: str  # the test function's name
    about: str  # its docstring
    request: Request
    expect: Expect
    status: int | None = None  # the documented success status, when one is
    schema: dict[str, Any] | None = None  # the documented success body
    # A round trip: create the resource first and take the path value from the answer.
    create: Request | None = None
    create_status: int | None = None
    create_field: str = ""  # the created object's field that fills the path parameter
    maybe_absent: bool = False  # a path value bdev made up: 404 is a fair answer
    # Made as a new user, signed in for this test alone (an operation behind a login).
    sign_in: SignIn | None = None
    # expect == "not_theirs": what the object's operation answers a second new user when
    # the first one created it (the statuses the request allows: 404, 403 or either).
    not_theirs: tuple[int, ...] = ()
    # expect == "not_listed": the text the created object carries, which another new
    # user's listing must not show.
    marker: str = ""


@dataclass
class SignIn:
    """How a test gets a token of its own: registers a new user (when the service has a
    registration), logs in with the same credentials and reads the token it answers."""

    login: Request
    register: Request | None
    login_fields: tuple[str, ...]  # sent to log in, from the new user's fields
    unique: tuple[str, ...]  # fields given a new value per test: names, emails


@dataclass
class Operation:
    name: str  # e.g. get_items_item_id
    method: str
    path: str
    auth: bool
    request: Request  # the valid request
    success: int | None
    schema: dict[str, Any] | None
    checks: list[Check] = field(default_factory=list)


def operations(facts: BackendFacts, doc: dict[str, Any] | None) -> list[Operation]:
    """Every operation of the document, then the analysed endpoints it lacks."""
    found: list[Operation] = []
    seen: set[tuple[str, str]] = set()
    documented = [
        (method, path, op)
        for path, item in ((doc or {}).get("paths") or {}).items()
        if isinstance(item, dict)
        for method, op in item.items()
        if method in OPERATIONS
        and method not in ("head", "options", "trace")
        and isinstance(op, dict)
    ]
    code = {(e.method, route_shape(e.path)): e for e in facts.endpoints}
    for method, path, op in documented:
        item = (doc or {})["paths"][path]
        endpoint = code.get((method.upper(), route_shape(path)))
        found.append(_documented(doc or {}, method.upper(), path, item, op, endpoint))
        seen.add((method.upper(), route_shape(path)))
    for e in facts.endpoints:
        key = (e.method, route_shape(e.path))
        if key not in seen and e.method not in ("HEAD", "OPTIONS", "TRACE", "WEBSOCKET"):
            seen.add(key)
            found.append(_undocumented(e, Path(facts.root)))
    _name_uniquely(found)
    _round_trips(found)
    for operation in found:
        operation.checks = _checks(operation, doc or {})
    return found


def _documented(
    doc: dict[str, Any],
    method: str,
    path: str,
    item: dict[str, Any],
    op: dict[str, Any],
    endpoint: Endpoint | None,
) -> Operation:
    request = Request(method, path)
    params = {
        (p.get("name"), p.get("in")): p
        for p in [*(item.get("parameters") or []), *(op.get("parameters") or [])]
        if isinstance(p, dict)
    }
    for (name, where), raw in params.items():
        param = resolve(raw, doc, strip=False)
        if where == "body":  # Swagger 2
            request.body, request.has_body = example(param.get("schema")), True
            continue
        if where != "path" and not param.get("required"):
            continue
        value = example(param.get("schema") or param)
        if where == "path":
            request.path_values[str(name)] = value if value is not None else 1
        elif where == "query":
            request.params[str(name)] = value
        elif where == "header" and not re.search(r"authorization|api.?key|token", str(name), re.I):
            request.headers[str(name)] = str(value)
    body_schema = _json_schema(op.get("requestBody"), doc)
    if body_schema is not None:
        request.body, request.has_body = example(body_schema), True
    success, schema = _success(op, doc)
    auth = _security(op, doc) or bool(endpoint and endpoint.auth_required)
    return Operation(_op_name(method, path), method, path, auth, request, success, schema)


def _undocumented(e: Endpoint, root: Path) -> Operation:
    names = [a or b for a, b in _PARAM.findall(e.path)]
    request = Request(e.method, e.path, {n: 1 for n in names})
    if e.method in ("POST", "PUT", "PATCH"):
        schema = inferred_body(root, e)  # what the handler reads: a body that gets past it
        if schema is not None:
            request.body, request.has_body = example(schema), True
    return Operation(
        _op_name(e.method, e.path), e.method, e.path, bool(e.auth_required), request, None, None
    )


def _json_schema(container: Any, doc: dict[str, Any], *, strip: bool = False) -> Any:
    container = resolve(container, doc, strip=False)
    if not isinstance(container, dict):
        return None
    if "schema" in container:  # Swagger 2 response
        return resolve(container["schema"], doc, strip=strip)
    content = container.get("content")
    if not isinstance(content, dict) or not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    if not isinstance(media, dict) or "schema" not in media:
        return None
    return resolve(media["schema"], doc, strip=strip)


def _success(op: dict[str, Any], doc: dict[str, Any]) -> tuple[int | None, dict | None]:
    """The lowest documented 2xx status and its JSON body schema (None: no JSON body)."""
    responses = op.get("responses") or {}
    codes = sorted(str(s) for s in responses if re.fullmatch(r"2\d\d", str(s)))
    if not codes:
        return None, None
    response = responses.get(codes[0], responses.get(int(codes[0])))
    schema = _json_schema(response, doc, strip=True) if codes[0] != "204" else None
    return int(codes[0]), schema if isinstance(schema, dict) else None


def _security(op: dict[str, Any], doc: dict[str, Any]) -> bool:
    # An operation's own `security` replaces the global one; `[]` or `[{}]` means none.
    security = op.get("security", doc.get("security")) or []
    return bool(security) and all(bool(req) for req in security)


def _op_name(method: str, path: str) -> str:
    path = _PARAM.sub(lambda m: m.group(1) or m.group(2), path)  # <int:id> -> id
    words = _NAME.sub("_", path).strip("_").lower()
    return f"{method.lower()}_{words}" if words else f"{method.lower()}_root"


def _name_uniquely(found: list[Operation]) -> None:
    taken: set[str] = set()
    for op in found:
        name, n = op.name, 2
        while op.name in taken:
            op.name, n = f"{name}_{n}", n + 1
        taken.add(op.name)


def _round_trips(found: list[Operation]) -> None:
    """An operation on `/things/{id}` whose collection `/things` takes a POST (without
    credentials): the tests create a thing first and use its id."""
    creators = {
        route_shape(op.path): op
        for op in found
        if op.method == "POST" and not op.auth and op.success and op.schema is not None
    }
    for op in found:
        names = list(op.request.path_values)
        parent, _, last = op.path.rstrip("/").rpartition("/")
        if len(names) != 1 or not _PARAM.fullmatch(last):
            continue
        creator = creators.get(route_shape(parent))
        if creator is not None and _id_field(creator, names[0]):
            op.request.path_values[names[0]] = creator  # marked: filled by a round trip


def _id_field(creator: Operation, param: str) -> str | None:
    """The field of the created object that names it: the parameter's own name or `id`."""
    props = (object_schema(creator.schema) or {}).get("properties") or {}
    return next((f for f in (param, "id") if f in props), None)


def _checks(op: Operation, doc: dict[str, Any]) -> list[Check]:
    if op.auth:
        return [
            Check(
                f"test_{op.name}_requires_credentials",
                f"{op.method} {op.path} refuses a request without credentials.",
                op.request,
                "unauthorized",
            )
        ]
    checks = [_success_check(op)]
    checks += _invalid_body_checks(op, doc)
    return checks


def _success_check(op: Operation) -> Check:
    request = Request(**{**op.request.__dict__, "path_values": dict(op.request.path_values)})
    expect: Expect = "success" if op.success or op.method == "GET" else "not_server_error"
    check = Check(
        f"test_{op.name}_succeeds",
        f"{op.method} {op.path} answers a valid request"
        + (f" with {op.success} and its documented body." if op.success else " without error."),
        request,
        expect,
        op.success,
        op.schema,
    )
    for key, value in list(request.path_values.items()):
        if isinstance(value, Operation):
            check.create, check.create_status = value.request, value.success
            check.create_field = _id_field(value, key) or "id"
            request.path_values[key] = None
        else:
            check.maybe_absent = True
    if check.maybe_absent and check.expect == "success" and op.success is None:
        check.expect = "not_server_error"
    if check.expect == "not_server_error":  # nothing documented: only "no 5xx" is certain
        check.about = f"{op.method} {op.path} answers a request without a server error."
    return check


def _invalid_body_checks(op: Operation, doc: dict[str, Any]) -> list[Check]:
    valid = op.request.body
    if not op.request.has_body or not isinstance(valid, dict) or _has_creator(op):
        return []
    raw = _body_schema(op, doc)
    schema = object_schema(raw)
    if schema is None:
        return []
    checks: list[Check] = []
    required = [str(n) for n in schema.get("required") or []]
    if required:
        body = {k: v for k, v in valid.items() if k != required[0]}
        checks.append(
            _invalid(op, f"missing_{_snake(required[0])}", f"without {required[0]!r}", body)
        )
    for name, prop in (schema.get("properties") or {}).items():
        bad = out_of_bounds(prop)
        if bad is None or len(checks) >= MAX_INVALID:
            continue
        value, bound = bad
        checks.append(
            _invalid(
                op,
                f"{_snake(name)}_out_of_bounds",
                f"with {name!r} breaking its {bound}",
                {**valid, name: value},
            )
        )
    return checks


def _has_creator(op: Operation) -> bool:
    return any(isinstance(v, Operation) for v in op.request.path_values.values())


def _body_schema(op: Operation, doc: dict[str, Any]) -> Any:
    item = (doc.get("paths") or {}).get(op.path) or {}
    spec = item.get(op.method.lower()) or {}
    schema = _json_schema(spec.get("requestBody"), doc)
    if schema is None:
        body = [p for p in spec.get("parameters") or [] if isinstance(p, dict)]
        body = [p for p in body if p.get("in") == "body"]
        schema = resolve(body[0].get("schema"), doc, strip=False) if body else None
    return schema


def _invalid(op: Operation, suffix: str, how: str, body: dict[str, Any]) -> Check:
    request = Request(
        op.method, op.path, dict(op.request.path_values), dict(op.request.params),
        dict(op.request.headers), body, True,
    )  # fmt: skip
    return Check(
        f"test_{op.name}_rejects_{suffix}",
        f"{op.method} {op.path} answers 4xx to a body {how}.",
        request,
        "client_error",
    )


def _snake(name: str) -> str:
    return _NAME.sub("_", name).strip("_").lower() or "field"


# The operations a new user signs in with: a POST without credentials whose body carries
# a password, at a path that says what it does.
_PASSWORD = re.compile(r"pass(word)?|passwd|secret", re.I)
_LOGIN_PATH = re.compile(r"log-?in|sign-?in|token|session", re.I)
_REGISTER_PATH = re.compile(r"regist|sign-?up|users?$|accounts?$|members?$", re.I)
_IDENTITY = re.compile(r"user|name|email|login|handle|account", re.I)


def sign_in(ops: list[Operation]) -> SignIn | None:
    """How the service lets a new user in, when its operations show it plainly: a login
    taking a password, and a registration taking the same fields (or none: a login that
    registers on first use). None when that cannot be read."""

    def takes_password(op: Operation) -> bool:
        body = op.request.body
        return (
            op.method == "POST"
            and not op.auth
            and isinstance(body, dict)
            and any(_PASSWORD.search(str(k)) for k in body)
        )

    candidates = [op for op in ops if takes_password(op)]
    login = next((op for op in candidates if _LOGIN_PATH.search(op.path)), None)
    if login is None:
        return None
    register = next(
        (op for op in candidates if op is not login and _REGISTER_PATH.search(op.path.rstrip("/"))),
        None,
    )
    fields = tuple(str(k) for k in login.request.body)
    user = (register or login).request.body
    if not set(fields) <= set(user):
        return None  # the login asks for what registering does not give
    unique = tuple(
        str(k)
        for k, v in user.items()
        if isinstance(v, str) and not _PASSWORD.search(str(k)) and _IDENTITY.search(str(k))
    )
    if not unique:
        return None  # no field to make the user new with: a second test would clash
    return SignIn(login.request, register.request if register else None, fields, unique)


def add_signed_in_checks(ops: list[Operation], names: set[str], signer: SignIn) -> int:
    """A success test, made signed in as a new user, for each operation behind a login
    named in `names`; how many were added."""
    added = 0
    for op in ops:
        if not op.auth or op.name not in names:
            continue
        if any(c.name == f"test_{op.name}_succeeds" for c in op.checks):
            continue
        check = _success_check(op)
        check.sign_in = signer
        check.about = check.about.replace("answers a valid request", "answers a signed-in request")
        op.checks.append(check)
        added += 1
    return added


def add_owner_only_checks(
    ops: list[Operation], names: set[str], signer: SignIn, statuses: tuple[int, ...]
) -> int:
    """For each operation on one object (`/things/{id}`) behind a login, named in
    `names`, whose collection takes a POST behind a login too: a test that one new user
    creates a thing and another new user reaching it gets one of `statuses`. How many
    were added."""
    creators = {route_shape(op.path): op for op in ops if op.method == "POST" and op.auth}
    added = 0
    for op in ops:
        if not (op.auth and op.name in names):
            continue
        listing = creators.get(route_shape(op.path))
        if op.method == "GET" and listing is not None:
            op.checks.append(_not_listed(op, listing, signer))
            added += 1
            continue
        params = list(op.request.path_values)
        parent, _, last = op.path.rstrip("/").rpartition("/")
        creator = creators.get(route_shape(parent))
        if creator is None or len(params) != 1:
            continue
        if op.method not in ("GET", "PUT", "PATCH", "DELETE") or not _PARAM.fullmatch(last):
            continue
        request = Request(**{**op.request.__dict__, "path_values": {params[0]: None}})
        wanted = " or ".join(map(str, statuses))
        op.checks.append(
            Check(
                f"test_{op.name}_is_for_its_owner_only",
                f"{op.method} {op.path} answers {wanted} to a user reaching another's object.",
                request,
                "not_theirs",
                create=creator.request,
                create_status=creator.success,
                create_field=_id_field(creator, params[0]) or "",
                sign_in=signer,
                not_theirs=statuses,
            )
        )
        added += 1
    return added


def _not_listed(op: Operation, creator: Operation, signer: SignIn) -> Check:
    """One new user creates a thing whose text fields hold a marker; another new user's
    listing must not hold it."""
    body = creator.request.body
    marker = f"owned-by-one-{op.name}"
    if isinstance(body, dict):
        body = {k: marker if isinstance(v, str) else v for k, v in body.items()}
    create = Request(**{**creator.request.__dict__, "body": body})
    return Check(
        f"test_{op.name}_lists_only_the_callers_own",
        f"{op.method} {op.path} does not list one user's objects to another.",
        op.request,
        "not_listed",
        create=create,
        create_status=creator.success,
        sign_in=signer,
        marker=marker,
    )
