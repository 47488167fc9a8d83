"""The normalised plan: operations, parameters, security, resources and slots."""

from __future__ import annotations

from specfirst_support import plan_for

from bdev.specfirst import slots_for
from bdev.specfirst.names import operation_name, snake


def test_items_plan_has_every_operation_with_kinds() -> None:
    plan = plan_for("items.yaml")
    kinds = {op.operation_id: op.kind for op in plan.operations}
    assert kinds == {
        "list_items": "list",
        "create_item": "create",
        "get_item": "get",
        "update_item": "update",
        "delete_item": "delete",
        "archive_item": None,
    }
    get_item = plan.operation("get_item")
    (item_id,) = get_item.params  # the path-level parameter is merged in
    assert (item_id.name, item_id.py_name, item_id.location, item_id.required) == (
        "itemId",
        "item_id",
        "path",
        True,
    )
    assert set(get_item.responses) == {"200", "404"}
    assert plan.operation("create_item").success_status == 201
    assert plan.operation("delete_item").success_status == 204


def test_resources_are_inferred_from_crud_shapes() -> None:
    plan = plan_for("items.yaml")
    (items,) = plan.resources.values()
    assert (items.table, items.collection_path, items.item_path) == (
        "items",
        "/items",
        "/items/{itemId}",
    )
    assert (items.id_field, items.id_type) == ("id", "integer")


def test_slots_name_signature_file_and_marker() -> None:
    plan = plan_for("items.yaml")
    (slot,) = slots_for(plan)
    assert slot.operation_id == "archive_item"
    assert slot.signature == "def archive_item(*, item_id: int, store: Store) -> Any:"
    assert (slot.file, slot.marker) == ("app/handlers.py", "# bdev:slot archive_item")
    assert "hash_password(password) -> str" in slot.helpers
    assert slots_for(plan, single_file=True)[0].file == "app.py"


def test_security_requirements_and_schemes() -> None:
    plan = plan_for("auth.yaml")
    assert plan.operation("register").security == []  # `security: []` overrides the global one
    assert plan.operation("get_me").security == [{"bearerAuth": []}]
    assert plan.security_schemes["bearerAuth"].kind == "bearer"
    assert [op.kind for op in plan.operations] == ["register", "login", None]
    reports = plan_for("apikey.json")
    assert reports.base_path == "/api/v1" and plan.base_path == ""
    header, query = reports.security_schemes.values()
    assert (header.location, header.param_name) == ("header", "X-API-Key")
    assert (query.location, query.param_name) == ("query", "api_key")


def test_describe_is_kept_in_the_plan() -> None:
    from specfirst_support import SPECS

    from bdev.specfirst import build_plan, load_spec

    plan = build_plan(load_spec(SPECS / "items.yaml"), describe="A small shop.")
    assert plan.describe == "A small shop."


def test_names_for_operations_without_an_id() -> None:
    assert operation_name("get", "/items/{itemId}/tags") == "get_items_by_item_id_tags"
    assert snake("listItems") == "list_items"
    assert snake("class") == "class_"
    plan = plan_for("apikey.json")
    assert [op.operation_id for op in plan.operations] == ["get_report", "status"]


def _post(body: dict, reply: dict | None, status: str = "201", extra: dict | None = None) -> dict:
    content = {"application/json": {"schema": reply}} if reply else None
    ok = {"description": "ok", **({"content": content} if content else {})}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {status: ok, **(extra or {})},
    }


def _obj(**props: str) -> dict:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


def _kinds(paths: dict) -> dict[str, str | None]:
    from bdev.specfirst.build import build_plan

    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}
    return {f"{o.method} {o.path}": o.kind for o in build_plan(doc).operations}


def test_a_post_that_computes_its_reply_is_left_to_the_model() -> None:
    kinds = _kinds(
        {
            "/calculate": {"post": _post(_obj(expression="string"), _obj(result="number"), "200")},
            "/files": {
                "post": _post(
                    _obj(name="string", content="string"), _obj(name="string", size="integer")
                )
            },
            "/users": {
                "post": _post(
                    _obj(username="string"),
                    {
                        **_obj(id="integer", username="string", api_key="string"),
                        "required": ["id", "username", "api_key"],
                    },
                )
            },
            "/notes": {"post": _post(_obj(title="string"), _obj(id="integer", title="string"))},
            "/pets": {"post": _post(_obj(name="string"), None)},  # 201, no reply body
            # Its own input back with 200, not "Created": an action (a lookup), no row.
            "/lookup": {"post": _post(_obj(host="string"), _obj(host="string"), "200")},
            "/tags": {"post": _post(_obj(tag="string"), _obj(tag="string"))},  # 201
        }
    )
    assert kinds == {
        "post /calculate": None,
        "post /files": None,  # the reply drops `content` and adds `size`
        "post /users": None,  # `api_key` is not something a store sets
        "post /notes": "create",
        "post /pets": "create",
        "post /lookup": None,
        "post /tags": "create",
    }


def test_a_list_with_a_search_or_sort_parameter_is_left_to_the_model() -> None:
    note = _obj(id="integer", title="string")
    query = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ("q", "sort")]

    def listing(params: list) -> dict:
        ok = {"content": {"application/json": {"schema": {"type": "array", "items": note}}}}
        return {"parameters": params, "responses": {"200": {"description": "ok", **ok}}}

    kinds = _kinds(
        {
            "/notes": {"post": _post(_obj(title="string"), note), "get": listing(query)},
            "/tags": {
                "post": _post(_obj(title="string"), note),
                "get": listing(
                    [
                        {"name": "title", "in": "query", "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ]
                ),
            },
        }
    )
    assert kinds["get /notes"] is None
    assert kinds["get /tags"] == "list"  # an equality filter and a pager are mechanical


def test_a_documented_conflict_needs_a_natural_key() -> None:
    conflict = {"409": {"description": "taken"}}
    account = _obj(id="integer", email="string")
    kinds = _kinds(
        {
            "/accounts": {"post": _post(_obj(email="string"), account, extra=conflict)},
            "/widgets": {
                "post": _post(
                    _obj(colour="string"), _obj(id="integer", colour="string"), extra=conflict
                )
            },
        }
    )
    assert kinds == {"post /accounts": "create", "post /widgets": None}


def test_issued_api_keys_make_secured_crud_owned() -> None:
    plan = plan_for("owned.yaml")
    kinds = {op.operation_id: (op.kind, op.owned) for op in plan.operations}
    assert plan.key_table == "users"
    assert kinds == {
        "create_user": ("issue_key", False),
        "create_note": ("create", True),
        "list_notes": ("list", True),
        "get_note": ("get", True),
        "delete_note": ("delete", True),
    }


def test_an_item_read_that_answers_a_page_or_a_file_is_left_to_the_model() -> None:
    card = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

    def read(media: str) -> dict:
        content = {media: {"schema": {"type": "string"}}}
        ok = {"description": "ok", "content": content}
        return {"parameters": [card], "responses": {"200": ok}}

    kinds = _kinds(
        {
            "/cards": {"post": _post(_obj(to="string"), _obj(id="string", to="string"))},
            "/cards/{id}": {"get": read("text/html"), "delete": read("application/json")},
            "/cards/{id}/pdf": {"get": read("application/pdf")},
        }
    )
    assert kinds["post /cards"] == "create" and kinds["delete /cards/{id}"] == "delete"
    assert kinds["get /cards/{id}"] is None  # the row as an HTML page: the model renders it


def test_a_login_answering_any_kind_of_token_is_written_by_the_program() -> None:
    account = _obj(username="string", password="string")
    kinds = _kinds(
        {
            "/register": {"post": _post(account, _obj(username="string"))},
            "/login": {"post": _post(account, _obj(session_token="string"), "200")},
        }
    )
    assert kinds == {"post /register": "register", "post /login": "login"}
    from bdev.specfirst.resources import token_field

    assert token_field({"refresh_token": {}, "authToken": {}}) == "authToken"
    assert token_field({"refresh_token": {}, "csrf_token": {}}) is None
    assert token_field({"token": {}, "session_token": {}}) == "token"
