"""Real-world specs: the public corpus builds or is refused with one clear message, and
the features it needed (form and multipart bodies, cookies, API keys in cookies, basic
auth, YAML-native values, loose casing, cycles, credential-issuing operations) work in
the generated services."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from specfirst_support import API_KEY, MINIMAL, Service, load_service

from bdev.errors import BdevError
from bdev.specfirst import Options, build_plan, generate, load_spec

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "openapi-corpus"
INVALID = {"fastapi": 422, "flask": 400}
FRAMEWORKS = ["fastapi", "flask"]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "corpus_bench", ROOT / "benchmarks" / "corpus_bench.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_bench"] = module  # worker processes unpickle its functions by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no OpenAPI corpus at {CORPUS}")
def test_the_corpus_builds_or_is_refused_clearly() -> None:
    bench = _bench()
    outcomes = bench.run_corpus(CORPUS, "fastapi", False, jobs=min(2, os.cpu_count() or 1))
    counts = bench.totals(outcomes)
    problems = [o for o in outcomes if o.result in ("traceback", "broken")]
    assert not problems, bench.table(problems)
    assert counts["built"] >= 45, bench.table(outcomes)
    for o in outcomes:
        if o.result == "refused":  # one line naming the place in the document
            assert "\n" not in o.detail and ": at " in o.detail, o.detail


# --- helpers -------------------------------------------------------------------------
def _service(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: str,
    framework: str = "fastapi",
    *,
    single_file: bool = False,
) -> Service:
    path = tmp_path / "spec.yaml"
    path.write_text(spec, encoding="utf-8")
    plan = build_plan(load_spec(path), "spec.yaml")
    options = Options(framework=framework, single_file=single_file, allowed=MINIMAL)  # type: ignore[arg-type]
    out = tmp_path / "service"
    generate(plan, options, out)
    return load_service(out, plan, options, monkeypatch)


def _echo(service: Service, monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    """Replace a slot by a handler that answers with what it was given."""

    def echo(**kwargs: Any) -> Any:
        out = {}
        for name, value in kwargs.items():
            if name == "store":
                continue
            out[name] = value.model_dump() if hasattr(value, "model_dump") else value
        return _plain(out)

    monkeypatch.setattr(service.handlers(), operation, echo)


def _plain(value: Any) -> Any:
    """JSON-ready: bytes become their length (uploads are checked by size)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    return value


def _send(service: Service, path: str, **kwargs: Any) -> tuple[int, Any]:
    """POST with form data / files / cookies / headers through either test client."""
    if service.framework == "fastapi":
        cookies = kwargs.pop("cookies", None)
        if cookies:
            kwargs.setdefault("headers", {})["Cookie"] = "; ".join(
                f"{k}={v}" for k, v in cookies.items()
            )
        method = kwargs.pop("method", "POST")
        response = service.client.request(method, path, **kwargs)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None
    method = kwargs.pop("method", "POST")
    headers = kwargs.pop("headers", {})
    # Werkzeug's client sends only the cookies in its jar (a Cookie header is dropped).
    cookies = kwargs.pop("cookies", None) or {}
    for key, value in cookies.items():
        service.client.set_cookie(key, value)
    try:
        return _flask_send(service, path, method, headers, kwargs)
    finally:
        for key in cookies:
            service.client.delete_cookie(key)


def _flask_send(
    service: Service, path: str, method: str, headers: dict[str, str], kwargs: dict[str, Any]
) -> tuple[int, Any]:
    data = dict(kwargs.pop("data", {}) or {})
    for name, (filename, content, _type) in (kwargs.pop("files", None) or {}).items():
        data[name] = (io.BytesIO(content), filename)
    if "content" in kwargs:
        response = service.client.open(
            path, method=method, headers=headers, data=kwargs.pop("content")
        )
    elif "json" in kwargs:
        response = service.client.open(path, method=method, headers=headers, json=kwargs["json"])
    else:
        response = service.client.open(path, method=method, headers=headers, data=data or None)
    return response.status_code, response.get_json(silent=True)


# --- form and multipart bodies -------------------------------------------------------
FORM_SPEC = """
openapi: 3.0.3
info: {title: Forms, version: "1"}
paths:
  /subscribe:
    post:
      operationId: subscribe
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [email, age]
              properties:
                email: {type: string}
                age: {type: integer, minimum: 1}
                topics: {type: array, items: {type: string}}
      responses:
        "200": {description: ok}
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                note: {type: string}
      responses:
        "200": {description: ok}
  /avatar:
    put:
      operationId: putAvatar
      requestBody:
        required: true
        content:
          image/png:
            schema: {type: string, format: binary}
      responses:
        "204": {description: stored}
"""


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("single_file", [False, True])
def test_a_form_body_is_read_and_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str, single_file: bool
) -> None:
    service = _service(tmp_path, monkeypatch, FORM_SPEC, framework, single_file=single_file)
    _echo(service, monkeypatch, "subscribe")
    status, payload = _send(
        service,
        "/subscribe",
        content="email=a%40b.example&age=7&topics=x&topics=y",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200, payload
    assert payload["body"] == {"email": "a@b.example", "age": 7, "topics": ["x", "y"]}
    status, _ = _send(service, "/subscribe", data={"email": "a@b.example", "age": "0"})
    assert status == INVALID[framework]  # below the minimum
    status, _ = _send(service, "/subscribe", data={"age": "3"})
    assert status == INVALID[framework]  # email is required
    status, _ = _send(service, "/subscribe", json={"email": "a@b.example", "age": 7})
    assert status == 415  # JSON where the spec says form


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_multipart_upload_reaches_the_handler_with_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, FORM_SPEC, framework)
    _echo(service, monkeypatch, "upload")
    content = bytes(range(256)) * 4  # every byte value, CR and LF included
    status, payload = _send(
        service,
        "/upload",
        data={"note": "hello"},
        files={"file": ("pic.bin", content, "application/octet-stream")},
    )
    assert status == 200, payload
    body = payload["body"]
    assert body["note"] == "hello"
    assert body["file"]["filename"] == "pic.bin"
    assert body["file"]["content"] == {"bytes": len(content)}
    models = sys.modules.get("app.models") or service.module
    upload = models.Upload(filename="a", content=b"xy")
    assert upload.read() == b"xy" and upload.file.read() == b"xy"  # as frameworks read
    assert upload.stream.seek(0, 2) == 2  # a file object: sizes are measured by seeking
    status, _ = _send(service, "/upload", data={"note": "no file"})
    assert status == INVALID[framework]  # a plain form is a form without the required file
    status, _ = _send(service, "/upload", json={"note": "json"})
    assert status == 415  # not a form at all


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_raw_body_reaches_the_handler_as_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, FORM_SPEC, framework)
    seen: list[bytes] = []
    monkeypatch.setattr(service.handlers(), "put_avatar", lambda body, store: seen.append(body))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10
    status, _ = _send(
        service, "/avatar", method="PUT", content=png, headers={"Content-Type": "image/png"}
    )
    assert status == 204 and seen == [png]


# --- cookies, API keys, basic auth -----------------------------------------------------
AUTH_SPEC = """
openapi: 3.0.3
info: {title: Auth, version: "1"}
components:
  securitySchemes:
    cookieKey: {type: apiKey, in: cookie, name: session_key}
    headerKey: {type: apiKey, in: header, name: X-API-Key}
    basic: {type: http, scheme: basic}
paths:
  /prefs:
    get:
      operationId: getPrefs
      parameters:
        - {in: cookie, name: theme, required: true, schema: {type: string, enum: [light, dark]}}
        - {in: cookie, name: page-size, schema: {type: integer, default: 10}}
      responses:
        "200": {description: ok}
  /keyed:
    get:
      operationId: keyed
      security: [{cookieKey: []}, {headerKey: []}]
      responses:
        "200": {description: ok}
  /basic:
    get:
      operationId: basicOnly
      security: [{basic: []}]
      responses:
        "200": {description: ok}
"""


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_cookie_parameters_are_read_and_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, AUTH_SPEC, framework)
    _echo(service, monkeypatch, "get_prefs")
    status, payload = _send(service, "/prefs", method="GET", cookies={"theme": "dark"})
    assert (status, payload) == (200, {"theme": "dark", "page_size": 10})
    status, payload = _send(
        service, "/prefs", method="GET", cookies={"theme": "light", "page-size": "25"}
    )
    assert (status, payload) == (200, {"theme": "light", "page_size": 25})
    status, _ = _send(service, "/prefs", method="GET", cookies={"theme": "purple"})
    assert status == INVALID[framework]
    status, _ = _send(service, "/prefs", method="GET")
    assert status == INVALID[framework]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_api_key_is_accepted_in_its_cookie_or_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, AUTH_SPEC, framework)
    _echo(service, monkeypatch, "keyed")
    status, payload = _send(service, "/keyed", method="GET", cookies={"session_key": API_KEY})
    assert status == 200 and payload["principal"]["api_key_scheme"] == "cookieKey"
    status, payload = _send(service, "/keyed", method="GET", headers={"X-API-Key": API_KEY})
    assert status == 200 and payload["principal"]["api_key_scheme"] == "headerKey"
    for wrong in ({"cookies": {"session_key": "nope"}}, {"headers": {"X-API-Key": "nope"}}, {}):
        status, _ = _send(service, "/keyed", method="GET", **wrong)
        assert status == 401, wrong
    # The cookie's name in a header, or the header's value in another cookie, is no key.
    status, _ = _send(service, "/keyed", method="GET", cookies={"X-API-Key": API_KEY})
    assert status == 401


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_basic_auth_accepts_the_right_password_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    monkeypatch.setenv("APP_BASIC_AUTH", "alice:s3cret-pass,bob:other")
    service = _service(tmp_path, monkeypatch, AUTH_SPEC, framework)
    _echo(service, monkeypatch, "basic_only")
    status, payload = _send(service, "/basic", method="GET", headers=_basic("alice", "s3cret-pass"))
    assert status == 200 and payload["principal"]["sub"] == "alice"
    for headers in (
        _basic("alice", "wrong"),
        _basic("alice", "other"),  # bob's password is not alice's
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Bearer {API_KEY}"},
        {},
    ):
        status, _ = _send(service, "/basic", method="GET", headers=headers)
        assert status == 401, headers


# --- YAML-native values, loose casing, names, cycles --------------------------------
LOOSE_SPEC = """
openapi: 3.0.3
info: {title: Loose, version: 2024-01-01}
paths:
  /events:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Event"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Event"}
              example: {day: 2024-01-01, at: 2024-01-01T10:00:00Z}
  /events/{id}:
    get:
      parameters:
        - {in: path, name: id, required: true, schema: {type: integer}}
        - in: query
          name: since
          schema: {type: string, format: date, default: 2024-01-01, example: 2024-02-02}
      responses:
        "200": {description: ok}
components:
  schemas:
    Event:
      type: Object
      required: [day]
      properties:
        day: {type: string, format: date, example: 2024-01-01}
        at: {type: String, format: date-time}
        date: {type: string, format: date}
        tags: {type: Array, items: {type: string}}
        children: {type: array, items: {$ref: "#/components/schemas/Event"}}
        related: {$ref: "#/components/schemas/Nested"}
    Nested:
      type: array
      items: {$ref: "#/components/schemas/Nested"}
"""


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_yaml_dates_loose_types_and_recursive_schemas_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, LOOSE_SPEC, framework)
    status, document, _ = service.call("GET", "/openapi.json")
    assert status == 200
    assert document["info"]["version"] == "2024-01-01"  # a date in YAML, text in JSON
    event = document["components"]["schemas"]["Event"]
    assert event["type"] == "object" and event["properties"]["day"]["example"] == "2024-01-01"
    example = document["paths"]["/events"]["post"]["responses"]["201"]["content"]
    assert example["application/json"]["example"]["at"] == "2024-01-01T10:00:00Z"
    # Operations without an operationId are named from their method and path.
    assert {op.operation_id for op in service.plan.operations} == {
        "post_events",
        "get_events_by_id",
    }
    received: list[Any] = []

    def created(body: Any, store: Any) -> Any:
        received.append(body)
        return body

    monkeypatch.setattr(service.handlers(), "post_events", created)
    nested = {"day": "2024-01-02", "date": "2024-01-03", "children": [{"day": "2024-01-04"}]}
    status, payload, _ = service.call("POST", "/events", json=nested)
    assert status == 201, payload
    assert payload == nested
    assert str(received[0].children[0].day) == "2024-01-04"  # a date, parsed
    status, _, _ = service.call("POST", "/events", json={"children": []})
    assert status == INVALID[framework]  # `day` is required: the Object schema is enforced
    _echo(service, monkeypatch, "get_events_by_id")
    status, payload, _ = service.call("GET", "/events/3")
    assert status == 200 and payload["since"] == "2024-01-01"  # the date default, as text


def test_a_reference_loop_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        """
openapi: 3.0.3
info: {title: Loop, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/A"}
components:
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
""",
        encoding="utf-8",
    )
    with pytest.raises(BdevError, match=r"\.schema\.\$ref: references go round in a circle"):
        load_spec(path)


def test_a_non_finite_number_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths: {}\n'
        "components: {schemas: {N: {type: number, maximum: .inf}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(BdevError, match=r"at components\.schemas\.N\.maximum: inf is not"):
        load_spec(path)


# --- operations that issue credentials ------------------------------------------------
LOGIN_SPEC = """
openapi: 3.0.3
info: {title: Accounts, version: "1"}
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Credentials:
      type: object
      required: [username, password]
      properties:
        username: {type: string}
        password: {type: string}
paths:
  /auth/register:
    post:
      operationId: signUp
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Credentials"}
      responses:
        "201":
          description: registered
          content:
            application/json:
              schema:
                type: object
                properties: {id: {type: integer}, username: {type: string}}
  /auth/login:
    post:
      operationId: login
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Credentials"}
      responses:
        "200":
          description: a token
          content:
            application/json:
              schema:
                type: object
                properties: {access_token: {type: string}}
  /auth/token/revoke:
    post:
      operationId: revokeToken
      responses:
        "204": {description: revoked}
  /me:
    get:
      operationId: me
      responses:
        "200": {description: the caller}
"""


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_login_and_register_under_global_security_are_public(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    service = _service(tmp_path, monkeypatch, LOGIN_SPEC, framework)
    plan = service.plan
    assert set(plan.made_public) == {"sign_up", "login"}
    assert "token" in plan.made_public["login"]
    assert plan.operation("revoke_token").security == [{"bearer": []}]
    credentials = {"username": "ann", "password": "correct-horse-1"}
    status, user, _ = service.call("POST", "/auth/register", json=credentials)
    assert status == 201 and user["username"] == "ann"
    status, token, _ = service.call("POST", "/auth/login", json=credentials)
    assert status == 200, token
    status, _, _ = service.call("POST", "/auth/token/revoke")
    assert status == 401  # still protected: it does not issue anything
    status, _, _ = service.call("GET", "/me")
    assert status == 401
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    status, _, _ = service.call("GET", "/me", headers=bearer)
    assert status == 501  # authenticated; the slot is not written yet
