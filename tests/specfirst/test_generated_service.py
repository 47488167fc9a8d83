"""The generated services, run in-process with each framework's test client."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from specfirst_support import API_KEY

FRAMEWORKS = ["fastapi", "flask"]
INVALID = {"fastapi": 422, "flask": 400}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return request.param


def test_every_operation_is_routed(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework)
    expected = [
        ("POST", "/items", {"name": "pen", "price": 1}, 201),
        ("GET", "/items", None, 200),
        ("GET", "/items/1", None, 200),
        ("PATCH", "/items/1", {}, 200),
        ("POST", "/items/1/archive", None, 501),
        ("DELETE", "/items/1", None, 204),
    ]
    routed = {(op.method.upper(), op.path) for op in service.plan.operations}
    assert len(routed) == len(expected)
    for method, path, body, status in expected:
        assert service.call(method, path, json=body)[0] == status, (method, path)
    # Unknown routes are 404 with the spec's error shape, not an HTML page.
    status, payload, _ = service.call("GET", "/nowhere")
    assert status == 404
    assert set(payload) == {"code", "message"} and payload["code"] == 404


def test_crud_round_trip(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework)
    status, created, _ = service.call("POST", "/items", json={"name": "pen", "price": 1.5})
    assert status == 201
    assert created["id"] == 1 and created["quantity"] == 1  # default from the schema
    assert created["created_at"].endswith("Z")  # a server-set required timestamp
    status, fetched, _ = service.call("GET", f"/items/{created['id']}")
    assert (status, fetched) == (200, created)
    service.call("POST", "/items", json={"name": "ink", "price": 3, "status": "active"})
    status, page, _ = service.call("GET", "/items", params={"limit": 1, "offset": 1})
    assert status == 200
    assert [i["name"] for i in page["items"]] == ["ink"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    status, page, _ = service.call("GET", "/items", params={"status": "active"})
    assert [i["name"] for i in page["items"]] == ["ink"] and page["total"] == 1
    status, patched, _ = service.call("PATCH", "/items/1", json={"price": 2.0})
    assert status == 200 and patched["price"] == 2.0 and patched["name"] == "pen"
    status, _, _ = service.call("DELETE", "/items/1")
    assert status == 204
    status, payload, _ = service.call("GET", "/items/1")
    assert status == 404
    assert payload == {"code": 404, "message": "items 1 not found"}


@pytest.mark.parametrize(
    ("method", "path", "body", "params"),
    [
        ("POST", "/items", {"price": 1}, None),  # missing required name
        ("POST", "/items", {"name": "", "price": 1}, None),  # minLength
        ("POST", "/items", {"name": "x", "price": -1}, None),  # minimum
        ("POST", "/items", {"name": "x", "price": 1, "status": "gone"}, None),  # enum
        ("POST", "/items", {"name": "x", "price": "1"}, None),  # wrong type, not coerced
        ("POST", "/items", {"name": "x", "price": 1, "quantity": 10001}, None),  # maximum
        ("GET", "/items", None, {"limit": 0}),  # query minimum
        ("GET", "/items", None, {"limit": "many"}),  # query type
        ("GET", "/items", None, {"status": "gone"}),  # query enum
        ("GET", "/items/0", None, None),  # path minimum
    ],
)
def test_validation_rejects_what_the_schema_forbids(
    make_service, framework: str, method: str, path: str, body, params
) -> None:
    service = make_service("items.yaml", framework)
    status, payload, _ = service.call(method, path, json=body, params=params)
    assert status == INVALID[framework]
    assert payload["code"] == INVALID[framework] and "invalid request" in payload["message"]


def test_constraints_and_formats(make_service, framework: str) -> None:
    service = make_service("constraints.yaml", framework)
    good = {
        "title": "Planning",
        "kind": "meeting",
        "priority": 3,
        "starts_at": "2025-05-01T10:00:00Z",
        "organizer": "ann@example.com",
        "code": "ABC-12",
        "class": "A",
        "note": None,
    }
    status, created, _ = service.call("POST", "/events", json=good)
    assert status == 201, created
    assert len(created["id"]) == 36 and created["class"] == "A"
    for change in [
        {"title": "ab"},
        {"title": "x" * 21},
        {"priority": 6},
        {"kind": "party"},
        {"starts_at": "yesterday"},
        {"organizer": "not-an-email"},
        {"code": "abc-12"},
        {"ratio": 0},
        {"tags": ["a", "b", "c", "d"]},
        {"tags": ["x" * 11]},
        {"unknown": 1},  # additionalProperties: false
    ]:
        status, _, _ = service.call("POST", "/events", json={**good, **change})
        assert status == INVALID[framework], change
    status, found, _ = service.call("GET", "/events", params={"kind": "meeting", "page_size": 5})
    assert status == 200 and [e["id"] for e in found] == [created["id"]]
    status, _, _ = service.call("GET", "/events", params={"kind": "meeting", "page_size": 51})
    assert status == INVALID[framework]
    status, _, _ = service.call("GET", "/events")  # required query parameter
    assert status == INVALID[framework]


def test_unimplemented_slot_answers_501(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework)
    status, payload, _ = service.call("POST", "/items/1/archive")
    assert status == 501
    assert payload == {"code": 501, "message": "this operation is not implemented yet"}


def test_register_login_and_bearer_tokens(make_service, framework: str) -> None:
    service = make_service("auth.yaml", framework)
    account = {"email": "bob@example.com", "password": "correct horse"}
    status, user, _ = service.call("POST", "/auth/register", json=account)
    assert status == 201 and user["email"] == "bob@example.com"
    assert "password" not in user and "password_hash" not in user
    row = service.module.store.get("users", user["id"])
    assert row["password_hash"].startswith("scrypt$") and "correct horse" not in str(row)
    status, _, _ = service.call("POST", "/auth/register", json=account)
    assert status == 409
    status, _, _ = service.call("POST", "/auth/register", json={**account, "password": "short"})
    assert status == INVALID[framework]
    status, token, _ = service.call("POST", "/auth/login", json=account)
    assert status == 200 and token["token_type"] == "bearer" and token["expires_in"] > 0
    status, _, _ = service.call("POST", "/auth/login", json={**account, "password": "wrong horse"})
    assert status == 401
    me = {"Authorization": f"Bearer {token['access_token']}"}
    status, _, _ = service.call("GET", "/me", headers=me)
    assert status == 501  # authenticated, and the slot is not written yet
    header, claims, _ = token["access_token"].split(".")
    forged = f"{header}.{claims}.{'A' * 43}"  # right shape, wrong signature
    for headers in [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {forged}"},
    ]:
        status, payload, response_headers = service.call("GET", "/me", headers=headers)
        assert status == 401, headers
        assert response_headers["WWW-Authenticate"] == "Bearer"
        assert payload["detail"]


def test_api_keys_in_header_or_query(make_service, framework: str) -> None:
    service = make_service("apikey.json", framework)
    status, _, _ = service.call("GET", "/api/v1/reports/r1", headers={"X-API-Key": API_KEY})
    assert status == 501
    status, _, _ = service.call("GET", "/api/v1/reports/r1", params={"api_key": API_KEY})
    assert status == 501
    for headers, params in [({}, {}), ({"X-API-Key": "wrong"}, {}), ({}, {"api_key": "wrong"})]:
        status, _, _ = service.call("GET", "/api/v1/reports/r1", headers=headers, params=params)
        assert status == 401
    # Routes live under the path of the spec's server URL.
    assert service.call("GET", "/reports/r1", headers={"X-API-Key": API_KEY})[0] == 404
    status, _, _ = service.call(
        "GET", "/api/v1/reports/r1", headers={"X-API-Key": API_KEY, "X-Request-Id": "not-a-uuid"}
    )
    assert status == INVALID[framework]


def test_health_openapi_and_security_headers(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework)
    status, payload, headers = service.call("GET", "/health")
    assert (status, payload) == (200, {"status": "ok"})
    for name, value in HEADERS.items():
        assert headers[name] == value
    status, document, _ = service.call("GET", "/openapi.json")
    assert status == 200
    assert document == service.plan.document  # the user's contract, not a regenerated one


def test_errors_do_not_leak_tracebacks(make_service, framework: str, monkeypatch) -> None:
    service = make_service("items.yaml", framework)

    def broken(**kwargs):
        raise RuntimeError("secret database password in traceback")

    monkeypatch.setattr(service.handlers(), "list_items", broken)
    status, payload, headers = service.call("GET", "/items")
    assert status == 500
    assert payload == {"code": 500, "message": "internal server error"}
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_request_size_limit(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework)
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'", "price": 1}'
    status, payload, _ = service.call("POST", "/items", content=big)
    assert status == 413
    assert payload["code"] == 413


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_single_file_service_works_the_same(make_service, framework: str) -> None:
    service = make_service("items.yaml", framework, single_file=True)
    assert (service.out / "app.py").is_file() and not (service.out / "app").exists()
    status, created, _ = service.call("POST", "/items", json={"name": "pen", "price": 1})
    assert status == 201
    assert service.call("GET", f"/items/{created['id']}")[1] == created
    assert service.call("POST", "/items/1/archive")[0] == 501


def test_security_helpers(make_service, monkeypatch) -> None:
    import sys

    service = make_service("auth.yaml", "fastapi")
    security = sys.modules["app.security"]
    stored = security.hash_password("pw-1")
    assert stored != security.hash_password("pw-1")  # salted
    assert security.verify_password("pw-1", stored) and not security.verify_password("pw-2", stored)
    assert not security.verify_password("pw-1", "md5$abc")
    assert not security.verify_password("pw-1", "scrypt$!!$??")
    base = service.out / "files"
    base.mkdir()
    assert security.safe_join(base, "a", "b.txt") == (base / "a" / "b.txt").resolve()
    for bad in ("../app/main.py", "/etc/passwd", "a/../../x"):
        with pytest.raises(security.ApiError):
            security.safe_join(base, bad)
    with pytest.raises(TypeError):
        security.run_command("echo hi; rm -rf /")
    assert security.run_command([sys.executable, "-c", "print(42)"]).stdout == "42\n"
    token = security.create_token("carol")
    assert security.decode_token(token)["sub"] == "carol"
    monkeypatch.setattr(security, "TOKEN_TTL_SECONDS", -5)
    with pytest.raises(security.ApiError):
        security.decode_token(security.create_token("carol"))


def test_refuses_to_start_without_a_secret(make_service, monkeypatch) -> None:
    import importlib
    import sys

    make_service("auth.yaml", "fastapi")
    monkeypatch.delenv("APP_SECRET_KEY")
    monkeypatch.delenv("APP_ENV", raising=False)
    with pytest.raises(RuntimeError, match="APP_SECRET_KEY is not set"):
        importlib.reload(sys.modules["app.security"])
    monkeypatch.setenv("APP_ENV", "dev")
    assert len(importlib.reload(sys.modules["app.security"]).SECRET_KEY) == 32


def test_edge_cases_names_unions_and_recursion(make_service, framework: str) -> None:
    service = make_service("edge_cases.yaml", framework)
    trace = {"X-Trace": "ab"}
    assert service.call("GET", "/trees/t-1/nodes", headers=trace)[0] == 501  # `{tree-id}`
    assert service.call("GET", "/trees/t-1/nodes")[0] == INVALID[framework]  # required header
    assert service.call("POST", "/shapes", json={"radius": 1})[0] == 501  # oneOf accepted
    assert service.call("POST", "/shapes", json={"radius": -1})[0] == INVALID[framework]
    status, thing, _ = service.call("POST", "/things", json={"name": "a", "json": True})
    assert (status, thing) == (201, {"name": "a", "json": True})  # aliased; extra id dropped
    status, things, _ = service.call("GET", "/things")
    assert (status, things) == (200, [{"name": "a"}])
    status, payload, _ = service.call("HEAD", "/things/x")
    assert status == 501
    # Errors take the shape of the spec's `default` response.
    status, payload, _ = service.call("GET", "/nowhere")
    assert payload == {"error": payload["error"], "status": "404"}


def test_petstore_client_chosen_ids(make_service, framework: str) -> None:
    service = make_service("petstore.yaml", framework)
    pet = {"id": 7, "name": "Rex", "tag": "dog"}
    assert service.call("POST", "/v1/pets", json=pet)[0] == 201
    assert service.call("POST", "/v1/pets", json=pet)[0] == 409
    status, fetched, _ = service.call("GET", "/v1/pets/7")
    assert (status, fetched) == (200, pet)  # the id keeps its JSON type
    assert service.call("GET", "/v1/pets", params={"limit": 1})[1] == [pet]
    status, payload, _ = service.call("GET", "/v1/pets", params={"limit": 101})
    assert status == INVALID[framework]
    assert payload == {"code": INVALID[framework], "message": payload["message"]}


def test_conflicts_and_a_static_admin_token(make_service, framework: str, monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "admin-secret-42")
    describe = "Listing is for the administrator: the bearer TOKEN equals ADMIN_TOKEN."
    service = make_service("accounts.yaml", framework, describe=describe)
    status, ann, _ = service.call("POST", "/accounts", json={"email": "ann@example.com"})
    assert (status, ann["email"]) == (201, "ann@example.com")
    assert service.call("POST", "/accounts", json={"email": "ann@example.com"})[0] == 409
    for headers in [{}, {"Authorization": "Bearer admin"}, {"Authorization": "admin-secret-42"}]:
        assert service.call("GET", "/accounts", headers=headers)[0] == 401, headers
    status, found, _ = service.call(
        "GET", "/accounts", headers={"Authorization": "Bearer admin-secret-42"}
    )
    assert (status, found) == (200, [ann])


def test_a_text_plain_success_is_served_as_text(make_service, framework: str, monkeypatch) -> None:
    service = make_service("accounts.yaml", framework)
    assert service.call("GET", "/motd")[0] == 501  # a slot until written
    monkeypatch.setattr(service.handlers(), "message_of_the_day", lambda **_: "héllo")
    response = service.client.get("/motd")
    text = response.text if framework == "fastapi" else response.get_data(as_text=True)
    assert (response.status_code, text) == (200, "héllo")
    assert response.headers["content-type"].startswith("text/plain")


def test_issued_keys_and_rows_only_their_owner_sees(make_service, framework: str) -> None:
    service = make_service("owned.yaml", framework)
    keys = {}
    for name in ("ann", "bob"):
        status, user, _ = service.call("POST", "/users", json={"username": name})
        assert status == 201 and set(user) == {"id", "username", "api_key"}, user
        keys[name] = {"X-API-Key": user["api_key"]}
        assert user["api_key"] not in json.dumps(service.module.store.get("users", user["id"]))
    status, note, _ = service.call("POST", "/notes", json={"text": "ann's"}, headers=keys["ann"])
    assert status == 201 and set(note) == {"id", "text"}  # the owner field stays inside
    path = f"/notes/{note['id']}"
    assert service.call("GET", path, headers=keys["ann"])[:2] == (200, note)
    assert service.call("GET", path, headers=keys["bob"])[0] == 404  # as if it did not exist
    assert service.call("GET", "/notes", headers=keys["bob"])[:2] == (200, [])
    assert service.call("DELETE", path, headers=keys["bob"])[0] == 404
    for headers in [{}, {"X-API-Key": "nope"}, {"X-API-Key": keys["ann"]["X-API-Key"][:-1]}]:
        assert service.call("GET", path, headers=headers)[0] == 401, headers
    assert service.call("GET", "/notes", headers=keys["ann"])[:2] == (200, [note])
    assert service.call("DELETE", path, headers=keys["ann"])[0] == 204


def test_create_sets_the_new_id_on_the_given_dict_too(make_service) -> None:
    service = make_service("items.yaml")
    doc = {"name": "pen", "price": 1}
    row = service.module.store.create("items", doc)
    assert doc["id"] == row["id"] and service.module.store.get("items", doc["id"]) == row


def test_a_table_the_spec_does_not_name_is_made_on_first_use(make_service) -> None:
    store = make_service("items.yaml").module.store
    assert store.list("uploads") == [] and store.count("uploads") == 0
    row = store.create("uploads", {"name": "a.txt", "size": 3})
    assert store.find("uploads", "name", "a.txt") == row and store.get("uploads", row["id"]) == row
    store.create("pages", {"id": "it's a page", "visits": 1})  # keyed by the handler's name
    assert store.update("pages", "it's a page", {"visits": 2}) == {"id": "it's a page", "visits": 2}
    for name in ['uploads"; DROP TABLE items; --', "1st", "a b", ""]:
        with pytest.raises(KeyError, match="not a table name"):
            store.list(name)


def test_counters_count_every_concurrent_call(make_service) -> None:
    from concurrent.futures import ThreadPoolExecutor

    service = make_service("items.yaml")
    store = service.module.store
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: store.increment("pages", "o'brien's page", "visits"), range(200)))
    assert store.get("pages", "o'brien's page")["visits"] == 200
    assert store.increment("pages", "other", "visits", by=2) == 2
    # A table the spec names (integer ids) counts too, on a row that exists or not.
    item = store.create("items", {"name": "pen", "price": 1})
    assert store.increment("items", item["id"], "sold") == 1
    assert store.increment("items", item["id"], "sold") == 2
    assert store.get("items", item["id"])["name"] == "pen"
    up = service.handlers().seconds_up()
    assert isinstance(up, int) and 0 <= up < 60
    with pytest.raises(service.module.ApiError) as missing:
        store.require("items", 999)
    assert missing.value.status == 404 and store.require("items", item["id"])["sold"] == 2


def test_a_field_a_row_never_set_reads_as_none(make_service) -> None:
    store = make_service("items.yaml").module.store
    row = store.create("accounts", {"name": "ann"})
    again = store.get("accounts", row["id"])
    assert again["bio"] is None and row["bio"] is None  # as a NULL column would
    assert again.name == "ann" and "bio" not in again and again.get("bio", "") == ""
    with pytest.raises(AttributeError):
        again.bio  # noqa: B018 - attributes are the fields it has
    again.bio = "hi"  # an ORM-style write is a field write
    assert store.replace("accounts", row["id"], again)["bio"] == "hi"
    assert store.list("accounts")[0]["bio"] == "hi" and store.list("accounts")[0]["x"] is None


def test_bytes_a_handler_keeps_come_back_as_bytes(make_service) -> None:
    store = make_service("items.yaml").module.store
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    row = store.create("images", {"name": "a.png", "content": png, "parts": [b"x", 1]})
    assert store.get("images", row["id"]) == {**row, "content": png, "parts": [b"x", 1]}
    assert store.update("images", row["id"], {"name": "b.png"})["content"] == png
    body = _model_with_a_name().model_validate({"name": "pen", "price": 2})
    kept = store.create("images", {"body": body})  # the model object itself
    assert store.get("images", kept["id"])["body"]["name"] == "pen"
    import datetime as dt
    import uuid
    from decimal import Decimal

    odd = {"key": uuid.UUID(int=1), "at": dt.date(2026, 12, 1), "price": Decimal("1.50")}
    again = store.get("images", store.create("images", odd)["id"])
    assert again["key"] == str(uuid.UUID(int=1)) and again["at"] == "2026-12-01"
    assert again["price"] == "1.50"
    with pytest.raises(TypeError, match="JSON or bytes"):
        store.create("images", {"when": object()})


def test_a_body_reads_like_the_dict_it_arrived_as(make_service, framework: str) -> None:
    make_service("items.yaml", framework)
    body = _model_with_a_name().model_validate({"name": "pen", "price": 2})
    assert (body["name"], body.get("name"), body.get("nothing", 7)) == ("pen", "pen", 7)
    again = type(body)(**body)  # re-made from itself, as handler code does
    assert again.name == "pen" and dict(body)["name"] == "pen"
    with pytest.raises(KeyError):
        body["nothing"]
    assert "name" in body and "nothing" not in body and 3 not in body


def _model_with_a_name() -> Any:
    """A generated model class with a `name` field, from the service imported last."""
    models = sys.modules.get("app.models") or sys.modules["app"]
    kinds = [getattr(models, n) for n in dir(models)]
    return next(
        k
        for k in kinds
        if isinstance(k, type) and issubclass(k, models.ApiModel) and k is not models.ApiModel
        and "name" in getattr(k, "__annotations__", {})
    )  # fmt: skip


def test_a_header_tied_to_a_token_variable_takes_only_that_token(
    make_service, framework: str, monkeypatch
) -> None:
    monkeypatch.setenv("STAFF_TOKEN", "staff-secret-7")
    describe = (
        "Members join and get a key. Changing a level needs the header X-Staff-Key equal "
        "to the STAFF_TOKEN environment variable, else 403."
    )
    service = make_service("members.yaml", framework, describe=describe)
    status, member, _ = service.call("POST", "/members", json={"username": "ann"})
    assert status == 201, member
    mine = member["key"]
    assert service.call("GET", "/me", headers={"X-Member-Key": mine})[0] == 501  # let in
    assert service.call("GET", "/me", headers={"X-Member-Key": "nope"})[0] == 401
    level = "/members/1/level"
    # A member's own key is not the staff token, in either header; 403 is the documented
    # refusal (the operation documents no 401).
    for headers in [{}, {"X-Staff-Key": mine}, {"X-Staff-Key": "nope"}, {"X-Member-Key": mine}]:
        assert service.call("PUT", level, json={"level": 2}, headers=headers)[0] == 403, headers
    staff = {"X-Staff-Key": "staff-secret-7"}
    assert service.call("PUT", level, json={"level": 2}, headers=staff)[0] == 501  # let in


def test_content_a_reader_cannot_read_is_the_client_s_error(
    make_service, framework: str, monkeypatch
) -> None:
    import zipfile

    service = make_service("accounts.yaml", framework)

    def unzip(**_: Any) -> Any:
        zipfile.ZipFile(__import__("io").BytesIO(b"not a zip"))

    monkeypatch.setattr(service.handlers(), "message_of_the_day", unzip)
    assert service.call("GET", "/motd")[0] == 400
    monkeypatch.setattr(service.handlers(), "message_of_the_day", lambda **_: 1 / 0)
    assert service.call("GET", "/motd")[0] == 500  # a bug of the handler's own stays a 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2 + 3 * 4", 14), ("(1 + 2) * -3", -9), ("7 / 2", 3.5), ("2 ** 10", 1024), ("7 // 2", 3)],
)
def test_arithmetic_is_evaluated_without_eval(make_service, text: str, expected: float) -> None:
    helpers = make_service("items.yaml").handlers()
    assert helpers.evaluate_arithmetic(text) == expected
    assert helpers.evaluate_arithmetic(__import__("ast").parse(text, mode="eval")) == expected


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('id')", "1 / 0", "9 ** 9 ** 9 ** 9", "abc", "(1 + 2", "1e308 * 10"],
)
def test_anything_but_arithmetic_is_a_400(make_service, text: str) -> None:
    service = make_service("items.yaml")
    with pytest.raises(service.module.ApiError) as refused:
        service.handlers().evaluate_arithmetic(text)
    assert refused.value.status == 400
