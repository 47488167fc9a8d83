"""README layouts read as operations: tables, curl commands, example ids."""

from __future__ import annotations

from bdev.specfirst.layouts import as_mentions, concrete_ids
from bdev.specfirst.operations import find_operations


def _routes(text: str) -> list[str]:
    return [m.label for m in find_operations(text)]


def test_a_table_with_method_and_path_columns_names_each_row() -> None:
    readme = (
        "## Endpoints\n\n"
        "| Path | Method | What it does |\n"
        "| --- | :---: | --- |\n"
        "| **/plants** | GET | all plants |\n"
        "| `/plants/:id` | `DELETE` | removes one plant |\n"
        "| /plants | POST | adds a plant |\n"
    )
    assert _routes(readme) == ["GET /plants", "DELETE /plants/{id}", "POST /plants"]
    (delete,) = [m for m in find_operations(readme) if m.method == "DELETE"]
    assert "removes one plant" in delete.own and "adds a plant" not in delete.own


def test_a_table_without_a_method_cell_is_left_alone() -> None:
    assert as_mentions("| Name | Path |\n| x | /y |") == "| Name | Path |\n| x | /y |"


def test_curl_commands_name_their_method_path_body_and_headers() -> None:
    readme = (
        "Add a plant\n```sh\ncurl -s -H 'Content-Type: application/json' \\\n"
        "  -H 'Authorization: Bearer abc' \\\n"
        '  -d \'{"name": "fern",\n  "water": 2}\' http://localhost:9000/api/plants\n```\n\n'
        'Read one\n```sh\ncurl -X GET "127.0.0.1:9000/api/plants/17?fields=name"\n```\n\n'
        "Upload a photo: `curl -F photo=@fern.jpg localhost/api/plants/17/photo`\n\n"
        "Remove it: curl --request DELETE -w '%{http_code}' localhost:9000/api/plants/17\n"
    )
    mentions = {m.label: m for m in find_operations(readme)}
    assert list(mentions) == [
        "POST /api/plants",
        "GET /api/plants/{id}",
        "POST /api/plants/{id}/photo",
        "DELETE /api/plants/{id}",
    ]
    post = mentions["POST /api/plants"]
    assert '{"name": "fern",' in post.passage and "Authorization: Bearer abc" in post.passage
    assert "Content-Type" not in post.passage  # how it is sent, not who sends it
    assert mentions["GET /api/plants/{id}"].query == ("fields",)
    assert (
        "multipart form-data with the field `photo`" in mentions["POST /api/plants/{id}/photo"].own
    )
    assert "http_code" not in mentions["DELETE /api/plants/{id}"].passage


def test_a_curl_without_a_url_or_with_an_unserved_method_is_kept_as_written() -> None:
    for text in ("run curl --version to check", "curl -I localhost:80/x", "curl -X HEAD x.io/y"):
        assert as_mentions(text) == text


def test_example_ids_and_quoted_placeholders_are_parameters() -> None:
    assert concrete_ids("/v0/items/b379fdbaqj868olu1gi0") == "/v0/items/{id}"
    assert concrete_ids("/orders/12/lines/3") == "/orders/{id}/lines/{id2}"
    assert concrete_ids("/docs/6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b") == "/docs/{id}"
    for kept in ("/v1/items", "/api/v2/users/me", "/oauth2/token", "/reports/summary"):
        assert concrete_ids(kept) == kept
    assert _routes('GET /users/"id" answers one user.') == ["GET /users/{id}"]
    assert _routes("* **PUT** https://localhost:3000/api/products/32 - updates it") == [
        "PUT /api/products/{id}"
    ]
