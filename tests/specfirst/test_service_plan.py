"""The normalised plan: operations, parameters, security, persistence and slots."""

from __future__ import annotations

from specfirst_support import plan_for

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
    (slot,) = plan.slots()
    assert slot.operation_id == "archive_item"
    assert slot.signature == "def archive_item(*, item_id: int, store: Store) -> Any:"
    assert (slot.file, slot.marker) == ("app/handlers.py", "# bdev:slot archive_item")
    assert "hash_password(password) -> str" in slot.helpers
    assert plan.slots(single_file=True)[0].file == "app.py"


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
