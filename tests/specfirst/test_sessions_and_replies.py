"""A login that sets a session cookie (written by the skeleton), and `Reply`: a handler's
result with the response headers and cookies it needs (an attachment, a cookie)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from specfirst_support import MINIMAL, load_service

from bdev.specfirst import Options, build_plan, generate
from bdev.specfirst.codegen.handlers import _stamps
from bdev.specfirst.codegen.slots import slots_for
from bdev.specfirst.fill.prompt import user_prompt
from bdev.specfirst.plan import Resource

CREDENTIALS = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {"username": {"type": "string"}, "password": {"type": "string", "minLength": 8}},
}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Sessions", "version": "1"},
    "paths": {
        "/signup": {"post": {"operationId": "signup", "requestBody": {"required": True,
            "content": {"application/json": {"schema": CREDENTIALS}}},
            "responses": {"201": {"description": "Created"}, "409": {"description": "Taken"}}}},
        "/login": {"post": {"operationId": "login", "requestBody": {"required": True,
            "content": {"application/json": {"schema": CREDENTIALS}}},
            "responses": {"200": {"description": "Logged in",
                                  "headers": {"Set-Cookie": {"schema": {"type": "string"}}}},
                          "401": {"description": "Wrong password"}}}},
        "/profile": {"put": {"operationId": "updateProfile",
            "security": [{"session": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"bio": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Updated"}, "401": {"description": "No"}}}},
        "/export/{name}": {"get": {"operationId": "export", "parameters": [
            {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The file, as an attachment",
                "content": {"application/octet-stream": {"schema": {
                    "type": "string", "format": "binary"}}}}}}},
    },
    "components": {"securitySchemes": {
        "session": {"type": "apiKey", "in": "cookie", "name": "sid"}}},
}  # fmt: skip
ACCOUNT = {"username": "ada_l", "password": "correct horse"}


def _service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str) -> Any:
    plan = build_plan(SPEC, "sessions.yaml")
    options = Options(framework=framework, allowed=MINIMAL)  # type: ignore[arg-type]
    generate(plan, options, tmp_path / "svc")
    return load_service(tmp_path / "svc", plan, options, monkeypatch)


def _set_cookie(headers: Any) -> SimpleCookie:
    values = headers.get_list("set-cookie") if hasattr(headers, "get_list") else (
        headers.getlist("Set-Cookie"))  # fmt: skip
    jar: SimpleCookie = SimpleCookie()
    for value in values:
        jar.load(value)
    return jar


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_login_sets_a_signed_session_cookie_that_authenticates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, framework)
    assert service.plan.session_cookie == "session"
    assert service.call("POST", "/signup", json=ACCOUNT)[0] == 201
    status, _, headers = service.call("POST", "/login", json={**ACCOUNT, "password": "wrong one"})
    assert status == 401 and not _set_cookie(headers)
    status, _, headers = service.call("POST", "/login", json=ACCOUNT)
    jar = _set_cookie(headers)
    assert status == 200 and "sid" in jar
    assert jar["sid"]["httponly"] and jar["sid"]["samesite"].lower() == "lax"
    session = jar["sid"].value
    # The test clients keep cookies: send the session explicitly from here on.
    if framework == "fastapi":
        service.client.cookies.clear()
    else:
        service.client = service.module.app.test_client(use_cookies=False)
    claims = service.module.decode_token(session) if service.single_file else None
    assert claims is None or claims["sub"]
    # Authenticated: the profile slot is not written yet, so it answers 501, not 401.
    assert service.call("PUT", "/profile", json={"bio": "hi"},
                        headers={"Cookie": f"sid={session}"})[0] == 501  # fmt: skip
    head, body, _ = session.split(".")
    for cookie in ["", "sid=", "sid=nonsense", f"sid={head}.{body}.{'A' * 43}"]:
        status, _, _ = service.call("PUT", "/profile", json={"bio": "hi"},
                                    headers={"Cookie": cookie} if cookie else {})  # fmt: skip
        assert status == 401, cookie


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_a_reply_adds_headers_and_cookies_to_any_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, framework)
    reply = service.module.Reply if service.single_file else service.handlers().Reply

    def export(*, name: str, **_: Any) -> Any:
        disposition = f'attachment; filename="{name}"'
        return reply(b"\x00data", headers={"Content-Disposition": disposition},
                     cookies={"seen": "1"})  # fmt: skip

    monkeypatch.setattr(service.handlers(), "export", export)
    status, _, headers = service.call("GET", "/export/a.bin")
    assert status == 200
    assert headers["Content-Disposition"] == 'attachment; filename="a.bin"'
    assert headers["Content-Type"] == "application/octet-stream"
    assert _set_cookie(headers)["seen"].value == "1"


def test_the_model_is_offered_reply_and_a_session_principal() -> None:
    plan = build_plan(SPEC, "sessions.yaml")
    slots = {s.operation_id: s for s in slots_for(plan)}
    assert set(slots) == {"update_profile", "export"}  # signup and login are the skeleton's
    prompt = user_prompt(plan, plan.operation("update_profile"), slots["update_profile"])
    assert "Reply(content, headers=" in prompt
    assert "principal['sub'] is the user's id" in prompt


TODOS: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Todos", "version": "1"},
    "security": [{"bearer": []}],
    "paths": {
        "/register": {"post": {"operationId": "register", "requestBody": {"required": True,
            "content": {"application/json": {"schema": CREDENTIALS}}},
            "responses": {"201": {"description": "Created"}}}},
        "/login": {"post": {"operationId": "login", "requestBody": {"required": True,
            "content": {"application/json": {"schema": CREDENTIALS}}},
            "responses": {"200": {"description": "Token", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "access_token": {"type": "string"}}}}}}}}},
        "/todos": {"post": {"operationId": "createTodo", "requestBody": {"required": True,
            "content": {"application/json": {"schema": {"type": "object", "required": ["title"],
                "properties": {"title": {"type": "string"}}}}}},
            "responses": {"201": {"description": "Created", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Todo"}}}}}}},
        "/todos/{id}": {"get": {"operationId": "getTodo", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "The to-do", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Todo"}}}},
                "404": {"description": "Not found"}}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Todo": {"type": "object", "required": ["id", "title", "done"], "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"},
            "done": {"type": "boolean"}}}},
    },
}  # fmt: skip


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_rows_a_written_handler_creates_belong_to_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    plan = build_plan(TODOS, "todos.yaml")
    assert plan.operation("get_todo").owned and plan.operation("create_todo").kind is None
    options = Options(framework=framework, allowed=MINIMAL)  # type: ignore[arg-type]
    generate(plan, options, tmp_path / "svc")
    service = load_service(tmp_path / "svc", plan, options, monkeypatch)

    def create_todo(*, body: Any, store: Any, principal: Any) -> Any:
        # What a model writes: no owner field, which the skeleton adds itself.
        return store.create("todos", {"title": body.title, "done": False})

    monkeypatch.setattr(service.handlers(), "create_todo", create_todo)
    tokens = {}
    for name in ("ann", "bob"):
        account = {"username": name + "_x", "password": "long enough"}
        assert service.call("POST", "/register", json=account)[0] == 201
        _, token, _ = service.call("POST", "/login", json=account)
        tokens[name] = {"Authorization": f"Bearer {token['access_token']}"}
    status, todo, _ = service.call("POST", "/todos", json={"title": "milk"}, headers=tokens["ann"])
    assert status == 201 and "_bdev_owner" not in todo
    path = f"/todos/{todo['id']}"
    assert service.call("GET", path, headers=tokens["ann"])[:2] == (200, todo)
    assert service.call("GET", path, headers=tokens["bob"])[0] == 404
    # Outside a request nothing is stamped: the store does not invent an owner.
    assert "_bdev_owner" not in service.module.store.create("todos", {"title": "x"})


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_behind_tls_the_session_cookie_is_secure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    monkeypatch.setenv("APP_COOKIE_SECURE", "1")
    service = _service(tmp_path, monkeypatch, framework)
    assert service.call("POST", "/signup", json=ACCOUNT)[0] == 201
    _, _, headers = service.call("POST", "/login", json=ACCOUNT)
    assert _set_cookie(headers)["sid"]["secure"]


def test_server_set_fields_take_a_default_or_the_value_the_words_quote() -> None:
    member = {"type": "object", "required": ["id", "name", "role", "tier", "at"],
              "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                             "role": {"type": "string", "enum": ["admin", "member"]},
                             "tier": {"type": "string", "default": "free"},
                             "at": {"type": "string", "format": "date-time"}}}  # fmt: skip
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "M", "version": "1"},
        "paths": {"/members": {"post": {"operationId": "join", "summary": 'Join (role "member")',
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                "properties": {"name": {"type": "string"}}}}}},
            "responses": {"201": {"description": "ok", "content": {"application/json": {
                "schema": member}}}}}}},
    }  # fmt: skip
    plan = build_plan(spec, "m.yaml")
    op = plan.operation("join")
    res = Resource(table="members", collection_path="/members", item_schema=member)
    assert _stamps(plan, op, res) == [
        "data.setdefault('at', now_iso())",
        "data.setdefault('role', 'member')",
        "data.setdefault('tier', 'free')",
    ]
    op.summary = 'Join as "admin" or "member"'  # two quoted values: no guess
    assert "data.setdefault('role', 'member')" not in _stamps(plan, op, res)
