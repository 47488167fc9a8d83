"""Handler functions: one per operation, mechanical CRUD bodies or slots for the model."""

from __future__ import annotations

import re
from typing import Any

from bdev.specfirst.codegen.schemas import SchemaCode, docstring_literal
from bdev.specfirst.codegen.signatures import handler_signature
from bdev.specfirst.codegen.slots import slot_marker
from bdev.specfirst.plan import Operation, Resource, ServicePlan
from bdev.specfirst.refs import deref
from bdev.specfirst.resources import (
    PAGE_SIZE_PARAMS,
    issued_key_field,
    token_field,
    unique_field,
)
from bdev.specfirst.shapes import merged_properties

_LOGIN_FIELDS = ("username", "email", "login", "name")


def handler_source(plan: ServicePlan, op: Operation, code: SchemaCode) -> str:
    lines = [handler_signature(plan, op, code)]
    doc = (
        "\n\n".join(t for t in (op.summary, op.description) if t)
        or f"{op.method.upper()} {op.path}"
    )
    lines.append(f"    {docstring_literal(doc)}")
    body = _mechanical(plan, op) if op.kind else None
    if body is None:
        lines += [f"    {slot_marker(op)}", "    raise NotImplementedError"]
    else:
        lines += [f"    {line}" if line else "" for line in body]
    return "\n".join(lines)


def _mechanical(plan: ServicePlan, op: Operation) -> list[str] | None:
    res = plan.resources[op.resource or ""]
    table = repr(res.table)
    data = 'data = body.model_dump(mode="json", by_alias=True, exclude_none=True) if body else {}'
    id_arg = next((p.py_name for p in op.params if p.location == "path"), None)
    missing = f'raise ApiError(404, f"{res.table} {{{id_arg}}} not found")'
    # An owned row is found only by its creator; to anyone else it does not exist.
    owner = ["owner = (principal or {}).get('sub')"] if op.owned else []
    mine = " or found.get(OWNER) != owner" if op.owned else ""
    lookup = [*owner, f"found = store.get({table}, {id_arg})", f"if found is None{mine}:"]
    match op.kind:
        case "create":
            return [
                data,
                *_unique_check(plan, op, res),
                *_stamps(plan, op, res),
                *([*owner, "data[OWNER] = owner"] if op.owned else []),
                f"return store.create({table}, data)",
            ]
        case "list":
            return [*owner, *_list_body(plan, op, res)]
        case "get":
            return [*lookup, f"    {missing}", "return found"]
        case "replace" | "update":
            method = "replace" if op.kind == "replace" else "update"
            dump = data if method == "replace" else data.replace("exclude_none", "exclude_unset")
            keep = ["data[OWNER] = owner"] if op.owned and method == "replace" else []
            check = [*lookup, f"    {missing}"] if op.owned else []
            return [
                *check,
                dump,
                *keep,
                f"found = store.{method}({table}, {id_arg}, data)",
                "if found is None:",
                f"    {missing}",
                "return found",
            ]
        case "delete":
            check = [*lookup, f"    {missing}"] if op.owned else []
            gone = [f"if not store.delete({table}, {id_arg}):", f"    {missing}"]
            return [*check, *gone, "return None"]
        case "register":
            return _register_body(plan, op)
        case "login":
            return _login_body(plan, op)
        case "issue_key":
            return _issue_key_body(plan, op, res)
    return None


def _issue_key_body(plan: ServicePlan, op: Operation, res: Resource) -> list[str]:
    field = issued_key_field(plan, op)
    return [
        'data = body.model_dump(mode="json", by_alias=True, exclude_none=True) if body else {}',
        *_unique_check(plan, op, res),
        *_stamps(plan, op, res),
        "key = new_api_key()",
        "data[KEY_DIGEST] = key_digest(key)",
        f"row = store.create({res.table!r}, data)",
        f"return {{**row, {field!r}: key}}  # shown once; only its digest is kept",
    ]


def _unique_check(plan: ServicePlan, op: Operation, res: Resource) -> list[str]:
    """A documented 409 on create means a natural key; refuse a second row with it."""
    if "409" not in op.responses:
        return []
    key = unique_field(_props(plan, op.body.schema_ if op.body else None))
    if key is None:
        return []
    return [
        f"if store.find({res.table!r}, {key!r}, data.get({key!r})) is not None:",
        f"    raise ApiError(409, '{key} already exists')",
    ]


def _stamps(plan: ServicePlan, op: Operation, res: Resource) -> list[str]:
    """Server-set values of required fields the body lacks: a date-time is now, a field
    with a `default` takes it, and an enum takes the one value the operation's words
    quote for it (`Create a member (role "member")`)."""
    props, required = merged_properties(plan.document, res.item_schema)
    sent = _props(plan, op.body.schema_ if op.body else None)
    lines = []
    for name in sorted(required):
        prop = deref(plan.document, props.get(name, {}))
        if name in sent:
            continue
        if prop.get("format") == "date-time":
            lines.append(f"data.setdefault({name!r}, now_iso())")
        elif "default" in prop:
            lines.append(f"data.setdefault({name!r}, {prop['default']!r})")
        elif (value := _quoted_enum_value(plan, op, name, prop.get("enum") or [])) is not None:
            lines.append(f"data.setdefault({name!r}, {value!r})")
    return lines


def _quoted_enum_value(plan: ServicePlan, op: Operation, field: str, enum: list[Any]) -> Any:
    """The one enum value quoted in the operation's summary or description, or in a
    sentence of the paragraph naming the field; None when there is not exactly one."""
    texts = [op.summary, op.description]
    texts += [s for s in re.split(r"(?<=[.!?])\s+", plan.describe or "") if field in s]
    quoted = {q for text in texts for q in re.findall(r"[\"'`]([^\"'`]{1,40})[\"'`]", text)}
    found = [v for v in enum if isinstance(v, str) and v in quoted]
    return found[0] if len(found) == 1 else None


def _list_body(plan: ServicePlan, op: Operation, res: Resource) -> list[str]:
    query = {p.name: p.py_name for p in op.params if p.location == "query"}
    size = next((query[n] for n in PAGE_SIZE_PARAMS if n in query), None)
    if "offset" in query:
        offset = query["offset"]
    elif "page" in query and size:
        offset = f"({query['page']} - 1) * {size}" if size else "0"
    else:
        offset = "0"
    item_props = _props(plan, res.item_schema)
    pager = {query.get("page"), size, query.get("offset")}
    filters = {n: py for n, py in query.items() if n in item_props and py not in pager}
    pairs = [f"{n!r}: {py}" for n, py in filters.items()]
    if op.owned:
        pairs.append("OWNER: owner")
    lines = [f"filters = {{{', '.join(pairs)}}}"]
    table = repr(res.table)
    lines.append(
        f"items = store.list({table}, limit={size or 'None'}, offset={offset}, filters=filters)"
    )
    ok = op.success
    schema = deref(plan.document, ok.schema_) if ok and ok.schema_ else {}
    props = _props(plan, schema)
    array = next(
        (n for n, s in props.items() if deref(plan.document, s).get("type") == "array"), None
    )
    if schema.get("type") == "array" or array is None:
        return [*lines, "return items"]
    page = {array: "items"}
    for name in ("total", "count", "total_count", "totalCount"):
        if name in props:
            page[name] = f"store.count({table}, filters)"
    for name, py in query.items():
        if name in props and py in pager:
            page[name] = py
    return [*lines, "return {" + ", ".join(f"{k!r}: {v}" for k, v in page.items()) + "}"]


def _register_body(plan: ServicePlan, op: Operation) -> list[str]:
    key = _login_field(plan, op)
    return [
        'data = body.model_dump(mode="json", by_alias=True, exclude_none=True) if body else {}',
        f"if store.find('users', {key!r}, data.get({key!r})) is not None:",
        f"    raise ApiError(409, '{key} is already registered')",
        "data['password_hash'] = hash_password(data.pop('password'))",
        "user = store.create('users', data)",
        "return {k: v for k, v in user.items() if k != 'password_hash'}",
    ]


def _login_body(plan: ServicePlan, op: Operation) -> list[str]:
    key = _login_field(plan, op)
    ok = op.success
    props = _props(plan, ok.schema_ if ok else None)
    token = token_field(props)
    check = [
        'data = body.model_dump(mode="json", by_alias=True) if body else {}',
        f"user = store.find('users', {key!r}, data.get({key!r}))",
        "password = data.get('password') or ''",
        "if user is None or not verify_password(password, user['password_hash']):",
        "    raise ApiError(401, 'invalid credentials')",
    ]
    if token is None:  # the session is the signed cookie the login sets
        cookie = plan.security_schemes[plan.session_cookie or ""].param_name
        content = f"{{{key!r}: user[{key!r}]}}" if key in props else "None"
        session = "create_token(str(user['id']))"
        return [*check, f"return Reply({content}, cookies={{{cookie!r}: {session}}})"]
    reply = {token: "create_token(str(user['id']))"}
    if "token_type" in props or "tokenType" in props:
        reply["token_type" if "token_type" in props else "tokenType"] = "'bearer'"
    if "expires_in" in props or "expiresIn" in props:
        reply["expires_in" if "expires_in" in props else "expiresIn"] = "TOKEN_TTL_SECONDS"
    return [*check, "return {" + ", ".join(f"{k!r}: {v}" for k, v in reply.items()) + "}"]


def _login_field(plan: ServicePlan, op: Operation) -> str:
    props = _props(plan, op.body.schema_ if op.body else None)
    return next((f for f in _LOGIN_FIELDS if f in props), next(p for p in props if p != "password"))


def _props(plan: ServicePlan, schema: dict[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {}
    return merged_properties(plan.document, schema)[0]
