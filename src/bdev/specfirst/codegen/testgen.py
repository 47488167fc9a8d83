"""The generated service's own tests: documented statuses, validation, auth, round trips."""

from __future__ import annotations

import json
import re
from typing import Any

from bdev.specfirst.codegen.examples import NoExample, example, violation
from bdev.specfirst.codegen.jinja import TEMPLATES
from bdev.specfirst.codegen.options import Options, setting_kind
from bdev.specfirst.codegen.schemas import SchemaCode, file_kind
from bdev.specfirst.plan import Kind, Operation, Param, ServicePlan
from bdev.specfirst.refs import deref
from bdev.specfirst.resources import token_field
from bdev.specfirst.shapes import merged_properties

_IDENTITY = ("username", "email", "login", "name")
_MISSING_ID = {"integer": 999999, "string": "no-such-id"}
_READ_BACK: tuple[Kind, ...] = ("get", "replace", "update", "delete", "list")


def request_for(
    plan: ServicePlan, op: Operation, ids: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A valid request for `op` (path, query, headers, json), or NoExample."""
    doc = plan.document
    path = plan.base_path + op.path
    query: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    cookies: dict[str, Any] = {}
    for p in op.params:
        if p.location == "path":
            value = (ids or {}).get(p.name, example(doc, p.schema_, p.name))
            path = path.replace("{" + p.name + "}", str(value))
        elif p.required or "example" in p.schema_:
            target = {"query": query, "header": headers, "cookie": cookies}[p.location]
            target[p.name] = example(doc, p.schema_, p.name)
    body = example(doc, op.body.schema_) if op.body and op.body.encoding != "raw" else None
    scheme = list(op.security[0]) if op.security else []
    request = {
        "method": op.method.upper(),
        "path": path,
        "query": query,
        "headers": headers,
        "json": body,
        "auth": scheme,
    }
    if cookies:
        request["cookies"] = {k: _text(v) for k, v in cookies.items()}
    if op.body and op.body.encoding != "json":
        request.update(_non_json_body(plan, op, body))
    if op.body and op.body.encoding == "raw":
        request["headers"] = {**headers, "Content-Type": op.body.media_type}
    return request


def _non_json_body(plan: ServicePlan, op: Operation, body: Any) -> dict[str, Any]:
    """A form, multipart or raw body as the generated conftest's `call` sends it."""
    assert op.body is not None
    if op.body.encoding == "raw":
        return {"json": None, "content": "example"}
    fields = body if isinstance(body, dict) else {}
    props = merged_properties(plan.document, op.body.schema_)[0]
    form: dict[str, Any] = {}
    files: dict[str, list[str]] = {}
    for name, value in fields.items():
        binary = file_kind(plan.document, props.get(name) or {}) is not None
        if op.body.encoding == "multipart" and binary:
            files[name] = [f"{name}.bin", _text(value)]
        elif isinstance(value, list):
            form[name] = [_text(v) for v in value]
        else:
            form[name] = _text(value)
    return {"json": None, "form": form, "files": files, "encoding": op.body.encoding}


def _text(value: Any) -> str:
    """How a value travels as a form field or cookie."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value if isinstance(value, str) else str(value)


def _expected(plan: ServicePlan, op: Operation) -> int | None:
    if op.kind is None:
        return 501
    if op.kind in ("create", "list", "register"):
        return op.success_status
    if op.kind in ("get", "replace", "update", "delete"):
        return 404  # the example id does not exist yet
    return None  # login: covered by the auth flow test


def documented_statuses(op: Operation) -> list[int]:
    """The statuses a written slot may answer its example request with: any documented
    one below 500 (all of 200..499 when the spec has a `default` response)."""
    codes = [int(c) for c in op.responses if c.isdigit() and int(c) < 500]
    if "default" in op.responses or not codes:
        return list(range(200, 500))
    return sorted(codes)


def cases(
    plan: ServicePlan, invalid_status: int, implemented: frozenset[str] = frozenset()
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {
        "status": [],
        "unauthorized": [],
        "invalid": [],
        "skipped": [],
    }
    for op in plan.operations:
        res = plan.resources.get(op.resource or "")
        ids = (
            {p.name: _MISSING_ID[res.id_type] for p in op.params if p.location == "path"}
            if res
            else None
        )
        try:
            request = request_for(plan, op, ids)
        except NoExample as e:
            out["skipped"].append({"id": op.operation_id, "why": str(e)})
            continue
        expected = _expected(plan, op)
        if op.kind is None and op.operation_id in implemented:
            # Written by the model: its example request must get a documented answer.
            documented = documented_statuses(op)
            out["status"].append(
                {"id": op.operation_id, **request, "expected": 0, "documented": documented}
            )
        elif expected is not None:
            out["status"].append({"id": op.operation_id, **request, "expected": expected})
        # `security: [{}, ...]` makes credentials optional: nothing to refuse.
        if op.security and op.kind != "login" and all(op.security):
            out["unauthorized"].append(
                {"id": op.operation_id, **request, "auth": [], "expected": 401}
            )
        out["invalid"] += _invalid(plan, op, request, invalid_status)
    return out


def _invalid(
    plan: ServicePlan, op: Operation, request: dict[str, Any], status: int
) -> list[dict[str, Any]]:
    doc = plan.document
    found = []
    if op.body and isinstance(request["json"], dict):
        schema = deref(doc, op.body.schema_)
        required = merged_properties(doc, schema)[1]
        if required:
            found.append(
                {
                    "id": f"{op.operation_id}-missing-required",
                    **request,
                    "json": {},
                    "expected": status,
                }
            )
    for p in op.params:
        if p.location != "query":
            continue
        try:
            bad = violation(doc, p.schema_)
        except NoExample:
            continue
        query = {**request["query"], p.name: bad}
        found.append(
            {
                "id": f"{op.operation_id}-{p.name}-out-of-bounds",
                **request,
                "query": query,
                "expected": status,
            }
        )
    return found


def round_trips(plan: ServicePlan) -> list[dict[str, Any]]:
    """Create-then-read sequences for each resource whose create response carries the id."""
    out = []
    for res in plan.resources.values():
        ops = {op.kind: op for op in plan.operations if op.resource == res.table}
        create = ops.get("create")
        props = merged_properties(plan.document, res.item_schema)[0]
        if not create or res.id_field not in props:
            continue
        try:
            steps: dict[Kind, dict[str, Any]] = {"create": request_for(plan, create)}
            for kind in _READ_BACK:
                if kind in ops:
                    steps[kind] = request_for(
                        plan,
                        ops[kind],
                        {p.name: "__ID__" for p in ops[kind].params if p.location == "path"},
                    )
        except NoExample:
            continue
        out.append(
            {
                "table": re.sub(r"\W", "_", res.table),
                "id_field": res.id_field,
                "steps": steps,
                "status": {k: ops[k].success_status for k in steps},
            }
        )
    return out


def created_reads(plan: ServicePlan, implemented: frozenset[str]) -> list[dict[str, Any]]:
    """Create-then-read cases for the reads the model writes: a GET whose path takes a
    value that a POST's reply names (`/invoices/{id}/pdf` after POST /invoices answered
    `{"id": ...}`, `/{code}` after `{"code": ...}`) must answer a documented success for
    what was just made, not 404 or a server error. The spec-derived status test only
    tries ids that do not exist. Operations behind credentials are left out."""
    ready = [op for op in plan.operations if op.kind is not None or op.operation_id in implemented]
    creates = [op for op in ready if op.method == "post" and not op.security]
    out = []
    for read in ready:
        names = [p.name for p in read.params if p.location == "path"]
        if read.method != "get" or read.security or read.kind is not None or not names:
            continue  # the skeleton's own reads are in the round trips
        if any(_guessed(p) for p in read.params if p.location != "path" and p.required):
            continue  # `?member=x.txt`: a made-up value may rightly find nothing
        makers = [c for c in creates if set(names) <= _reply_fields(plan, c)]
        if not makers:
            continue
        maker = max(makers, key=lambda c: len(_common_prefix(c.path, read.path)))
        try:
            create = request_for(plan, maker)
            fetch = request_for(plan, read, {n: f"__{n}__" for n in names})
        except NoExample:
            continue
        documented = [int(c) for c in read.responses if c.isdigit() and c[0] in "23"]
        out.append(
            {
                "id": read.operation_id,
                "create": create,
                "created": maker.success_status,
                "read": fetch,
                "fields": names,
                "documented": documented or list(range(200, 400)),
            }
        )
    return out


def _guessed(param: Param) -> bool:
    """Whether the example value of a parameter is made up (no enum, example or default)."""
    return not ({"enum", "example", "examples", "default", "const"} & param.schema_.keys())


def _reply_fields(plan: ServicePlan, op: Operation) -> set[str]:
    ok = op.success
    if ok is None or not isinstance(ok.schema_, dict):
        return set()
    return set(merged_properties(plan.document, ok.schema_)[0])


def _common_prefix(a: str, b: str) -> list[str]:
    same = []
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        same.append(x)
    return same


def auth_flow(plan: ServicePlan) -> dict[str, Any] | None:
    register = next((op for op in plan.operations if op.kind == "register"), None)
    login = next((op for op in plan.operations if op.kind == "login"), None)
    if not register or not login:
        return None
    try:
        reg, log = request_for(plan, register), request_for(plan, login)
    except NoExample:
        return None
    ok = login.success
    props = deref(plan.document, ok.schema_).get("properties", {}) if ok and ok.schema_ else {}
    # A fresh identity (the status tests registered the plain example already), and
    # the login body carries the same identity and password as the registration.
    if isinstance(log["json"], dict) and isinstance(reg["json"], dict):
        reg["json"] = {
            k: f"flow-{v}" if k in _IDENTITY and isinstance(v, str) else v
            for k, v in reg["json"].items()
        }
        log["json"] = {k: reg["json"].get(k, v) for k, v in log["json"].items()}
    return {
        "register": reg,
        "login": log,
        "register_status": register.success_status,
        "login_status": login.success_status,
        "token_field": token_field(props),
        "cookie": plan.security_schemes[plan.session_cookie].param_name
        if plan.session_cookie
        else None,
    }


def render_tests(
    plan: ServicePlan,
    options: Options,
    code: SchemaCode,
    implemented: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """The test files; `implemented` names slots already written (no longer 501)."""
    invalid = 422 if options.framework == "fastapi" else 400
    context = {
        "framework": options.framework,
        "module": "app" if options.single_file else "app.main",
        "security_module": "app" if options.single_file else "app.security",
        "cases": cases(plan, invalid, implemented),
        "round_trips": round_trips(plan),
        "created_reads": created_reads(plan, implemented),
        "auth_flow": auth_flow(plan),
        "health": "/health" not in (plan.document.get("paths") or {}),
        "spec_title": (plan.document.get("info") or {}).get("title", ""),
        "spec_paths": repr(sorted(plan.document.get("paths") or {})),
        "secret_env": options.secret_env,
        "database_env": options.database_env,
        "settings": {n: kind for n in options.settings if (kind := setting_kind(n))},
        "root_depth": tests_dir(options).count("/") + 1,
        "too_large": too_large(plan),
        "unknown_path": unknown_path(plan),
    }
    folder = tests_dir(options)
    return {
        f"{folder}/__init__.py": "",
        f"{folder}/conftest.py": TEMPLATES.get_template("conftest.py.j2").render(**context),
        f"{folder}/test_api.py": TEMPLATES.get_template("test_api.py.j2").render(**context),
    }


def too_large(plan: ServicePlan) -> dict[str, Any] | None:
    """A valid request to the first operation taking a JSON body, for the test that a
    body over the service's limit is refused (413) before it is read; None if none."""
    for op in plan.operations:
        if op.body is None or op.body.encoding != "json":
            continue
        try:
            request = request_for(plan, op)
        except NoExample:
            continue
        headers = {**request["headers"], "Content-Type": "application/json"}
        return {**request, "json": None, "headers": headers}
    return None


_PROBE = "/bdev-probe/no-such-path"


def unknown_path(plan: ServicePlan) -> str | None:
    """A path no operation of the spec serves (for the test that it answers the
    service's JSON 404), or None if a template could match it."""
    for path in plan.document.get("paths") or {}:
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(plan.base_path + path))
        if re.fullmatch(pattern, _PROBE):
            return None
    return _PROBE


def tests_dir(options: Options) -> str:
    """Where the generated tests live: tests/, or under .bdev/ when the task allows no
    files beside the service's own code."""
    return ".bdev/tests" if options.no_extra_files or options.private_tests else "tests"
