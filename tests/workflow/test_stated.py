"""The parameter rules bdev reads from a change request's own words (`workflow.stated`).

The phrasings here are not the change suite's: they are how other people write requests.
"""

from __future__ import annotations

from bdev.backend.openapi import route_shape
from bdev.workflow.stated import read_stated


def rules(task: str) -> dict[str, object]:
    stated = read_stated(task, route_shape=route_shape)
    return {r.name: r for r in stated.rules}


def test_bounds_defaults_and_the_error_status_of_query_parameters() -> None:
    stated = read_stated(
        "Paginate `GET /v1/orders`: `page` (default 1, at least 1) and `per_page` "
        "(default 25, between 1 and 200). Out of range values are answered with 422.",
        route_shape=route_shape,
    )
    found = {r.name: r for r in stated.rules}
    assert found["page"].schema == {"minimum": 1, "type": "integer", "default": 1}
    assert found["per_page"].schema == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 25,
    }
    assert all(r.where == "query" and r.route == ("GET", "/v1/orders") for r in stated.rules)
    assert stated.error_status == 422


def test_choices_are_values_not_parameters() -> None:
    found = rules(
        "Let clients order `GET /books` with `order_by`, one of `title`, `-title` or "
        "`year`; anything else gets a 400."
    )
    assert list(found) == ["order_by"]
    assert found["order_by"].schema["enum"] == ["title", "-title", "year"]


def test_body_fields_with_lengths_formats_and_strict_numbers() -> None:
    stated = read_stated(
        "Make `POST /users` validate its JSON: `username` must be a string of 3 to 30 "
        "characters, `contact` is a valid email address, and `score` is an integer of at "
        "most 10 (a JSON number, not a string). Reject bad input with 400; no other fields "
        "are allowed.",
        route_shape=route_shape,
    )
    found = {r.name: r for r in stated.rules}
    assert found["username"].schema == {"type": "string", "minLength": 3, "maxLength": 30}
    assert found["contact"].schema == {"type": "string", "format": "email"}
    assert found["score"].schema == {"type": "integer", "maximum": 10}
    assert found["score"].strict
    assert all(r.where == "body" for r in stated.rules)
    # Defined outright ("is a ...", "must be a ..."), with no default: the body needs them.
    assert all(r.required for r in stated.rules)
    assert stated.error_status == 400
    assert stated.closed


def test_a_json_body_example_names_its_fields() -> None:
    found = rules(
        'Add `PUT /carts/{id}/items` taking a JSON body `{"count": N}` (a positive whole '
        "number up to 99)."
    )
    count = found["count"]
    assert count.where == "body"
    assert count.route == ("PUT", "/carts/{}/items")
    assert count.schema == {"type": "integer", "maximum": 99, "minimum": 1}


def test_a_body_field_with_a_default_or_said_optional_is_not_required() -> None:
    found = rules(
        "`POST /alarms` takes `label`, which is a string of at most 40 characters "
        "(default `alarm`), and `snooze`, which is optional and is a whole number of minutes."
    )
    assert not found["label"].required and not found["snooze"].required


def test_names_joined_by_or_share_what_follows() -> None:
    found = rules(
        "`GET /logs` gets `since` and `until`. A `since` or `until` that is not a whole "
        "number is refused with 400."
    )
    assert found["since"].schema["type"] == "integer"
    assert found["until"].schema["type"] == "integer"


def test_dates_nulls_and_equality_filters() -> None:
    found = rules(
        "`GET /shipments` takes an optional `carrier` that keeps only shipments with "
        "exactly that carrier, and `POST /shipments` accepts `eta` as a date or null."
    )
    assert found["carrier"].filters and found["carrier"].where == "query"
    assert found["eta"].schema == {"type": "string", "format": "date"}
    assert found["eta"].nullable and found["eta"].where == "body"
    assert not found["eta"].required
    assert found["eta"].route == ("POST", "/shipments")


def test_words_it_does_not_understand_give_no_rule() -> None:
    stated = read_stated(
        "Only admins may change `role`, and `REPORTS_DIR` must stay the root. Keep the "
        "`q` search working; a missing user answers 404.",
        route_shape=route_shape,
    )
    assert stated.rules == []
    assert stated.error_status is None  # 404 is about absence, not bad input


def test_a_bound_is_not_an_equality_filter() -> None:
    found = rules(
        "`GET /rooms` gets `max_rate`, a whole number of at least 0 that keeps only rooms "
        "costing at most that much."
    )
    assert not found["max_rate"].filters
    assert found["max_rate"].schema == {"type": "integer", "minimum": 0}


def test_the_checklist_says_each_rule_in_words() -> None:
    stated = read_stated(
        "`GET /items` gets `limit` (default 10, from 1 to 50); a bad `limit` answers 400.",
        route_shape=route_shape,
    )
    assert stated.checklist() == [
        "query parameter `limit`: a whole number, from 1 to 50, default 10",
        "anything that breaks these rules answers 400",
    ]
