"""An OpenAPI document derived from prose: the program finds the operations and checks
each slot's answer against the request's words; a scripted model fills the slots."""

from __future__ import annotations

from typing import Any

import pytest

from bdev.errors import BdevError
from bdev.evaluation import make_strategy
from bdev.llm.scripted import ScriptedModel
from bdev.specfirst import build_plan
from bdev.specfirst.operations import find_operations
from bdev.specfirst.prose import derive_spec

REQUEST = (
    "A small bookmark service. POST /bookmarks saves a bookmark (a url of 1 to 500 "
    "characters and a note of up to 200 characters) and answers 201 with it and its id. "
    "GET /bookmarks?tag=TAG lists the bookmarks carrying the tag; tag is required. "
    "GET and DELETE /bookmarks/<id> read or remove one bookmark, 404 when there is none."
)


def field(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "required": True, "min": None, "max": None, **extra}


def answer(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "inputs": [], "success": 200, "returns": "object", "returned_fields": [],
        "errors": [], "login_required": False,
    }  # fmt: skip
    return {**base, **overrides}


def turns(*answers: dict[str, Any]) -> ScriptedModel:
    return ScriptedModel.from_turns(
        [{"tool_calls": [{"name": "operation", "arguments": a}]} for a in answers]
    )


def test_operations_are_found_with_their_passages_and_parameters() -> None:
    found = find_operations(REQUEST)
    assert [m.label for m in found] == [
        "POST /bookmarks",
        "GET /bookmarks",
        "GET /bookmarks/{id}",
        "DELETE /bookmarks/{id}",
    ]
    assert found[1].query == ("tag",)
    assert found[2].path_params == ["id"]
    assert found[0].passage.startswith("POST /bookmarks saves")
    assert "GET /bookmarks?tag" not in found[0].passage  # the next operation's sentence
    assert "404 when there is none" in found[3].passage


def test_a_request_naming_no_operation_is_refused_in_words() -> None:
    with pytest.raises(BdevError, match="names no operation"):
        derive_spec("Build me a nice service for bookmarks.", turns())


def test_inputs_are_placed_by_the_program_and_checked_against_the_request() -> None:
    model = turns(
        answer(  # POST: the model calls every input a parameter; a POST sends a body
            inputs=[
                field("url", min=1, max=500),
                field("note", min=3, max=200),  # 3 is nowhere in the request
                field("owner"),  # invented
            ],
            success=200,  # the passage says 201
            returns="object",
            returned_fields=[{"name": "id", "type": "integer"}],
            errors=[409],  # never stated
        ),
        answer(inputs=[field("tag", min=1, max=None)], returns="list"),
        answer(inputs=[field("id", "integer")], errors=[404]),
        answer(inputs=[field("id", "integer")], success=204, returns="nothing", errors=[404]),
    )
    derived = derive_spec(REQUEST, model)
    paths = derived.doc["paths"]
    post = paths["/bookmarks"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"] == {
        "url": {"type": "string", "minLength": 1, "maxLength": 500},
        "note": {"type": "string", "maxLength": 200},
    }
    assert "parameters" not in post
    assert list(post["responses"]) == ["201"]
    # What was created is answered with what it was made from, and shared by name.
    schemas = derived.doc["components"]["schemas"]
    assert schemas["Bookmark"]["properties"] == {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "note": {"type": "string"},
    }
    listing = paths["/bookmarks"]["get"]
    assert listing["parameters"] == [
        {
            "name": "tag",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
    ]
    item = listing["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert item == {"$ref": "#/components/schemas/Bookmark"}  # an object without fields
    one = paths["/bookmarks/{id}"]
    assert one["get"]["parameters"][0] == {
        "name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
    }  # fmt: skip
    assert set(one["get"]["responses"]) == {"200", "404"}
    assert set(one["delete"]["responses"]) == {"204", "404"}
    assert "content" not in one["delete"]["responses"]["204"]
    said = "\n".join(derived.notes)
    assert "dropped `owner`" in said
    assert "note min 3" in said
    assert "status 409" in said
    # The assembled document is one spec-first builds from.
    plan = build_plan(derived.doc, "derived")
    assert len(plan.operations) == 4


def test_a_body_method_with_no_body_field_is_asked_again() -> None:
    model = turns(
        answer(inputs=[field("DATABASE_PATH")], success=201),  # nothing this passage says
        answer(inputs=[field("url")], success=201),
        answer(),
        answer(),
        answer(),
    )
    derived = derive_spec(REQUEST, model)
    body = derived.doc["paths"]["/bookmarks"]["post"]["requestBody"]
    assert list(body["content"]["application/json"]["schema"]["properties"]) == ["url"]
    assert derived.failed == []


def test_an_operation_without_a_usable_answer_is_kept_minimal_and_named() -> None:
    request = "POST /echo takes a `text` and answers 200 with it."
    model = ScriptedModel.from_turns([{"content": "I think it takes text."}] * 3)
    derived = derive_spec(request, model)
    assert derived.failed == ["POST /echo"]
    assert "post" in derived.doc["paths"]["/echo"]


def test_a_named_header_is_an_api_key_and_protects_what_needs_login() -> None:
    request = (
        "POST /keys answers 201 with a new key. Every other request sends it in the "
        "X-Api-Key header; 401 without it. GET /secrets answers 200 with the secrets."
    )
    model = turns(
        answer(
            inputs=[field("key")], success=201, returned_fields=[{"name": "key", "type": "string"}]
        ),
        answer(login_required=True, returns="list", errors=[401]),
    )
    derived = derive_spec(request, model)
    assert derived.doc["components"]["securitySchemes"] == {
        "credential": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    }
    secrets = derived.doc["paths"]["/secrets"]["get"]
    assert secrets["security"] == [{"credential": []}]
    assert "401" in secrets["responses"]
    assert derived.doc["paths"]["/keys"]["post"]["security"] == []


def test_registering_an_account_is_public_whatever_the_model_says() -> None:
    request = (
        "POST /auth/sign-up takes an email and a password. POST /auth/login takes the same "
        "email and password and answers a token. "
        "GET /profile needs the header Authorization: Bearer <token>."
    )
    model = turns(
        answer(inputs=[field("email"), field("password")], success=201, login_required=True),
        answer(inputs=[field("email"), field("password")],
               returned_fields=[{"name": "token", "type": "string"}]),
        answer(login_required=True),
    )  # fmt: skip
    paths = derive_spec(request, model).doc["paths"]
    assert paths["/auth/sign-up"]["post"]["security"] == []
    assert "401" not in paths["/auth/sign-up"]["post"]["responses"]
    assert paths["/profile"]["get"]["security"] == [{"credential": []}]


def test_prose_first_is_a_strategy_of_its_own() -> None:
    assert make_strategy("prose-first").name == "prose-first"
    assert make_strategy("spec-first").name == "spec-first"


def test_joined_words_name_a_field_and_the_issuer_of_the_credential_is_public() -> None:
    request = (
        "POST /users answers 201 with the user's id and a new API key. Every notes request "
        "sends that key in the X-API-Key header. GET /notes/{id} answers 200 with the note."
    )
    seen: list[str] = []

    class Recording(ScriptedModel):
        def complete(self, messages, tools, *, on_text=None):  # type: ignore[no-untyped-def]
            seen.append(messages[-1].content)
            return super().complete(messages, tools, on_text=on_text)

    model = Recording.from_turns(
        [
            {"tool_calls": [{"name": "operation", "arguments": a}]}
            for a in (
                answer(  # a username the passage names; the model wants a login too
                    inputs=[field("user")],
                    success=201,
                    login_required=True,
                    returned_fields=[
                        {"name": "id", "type": "integer"},
                        {"name": "api_key", "type": "string"},
                    ],
                ),
                answer(inputs=[field("id", "integer")], login_required=True),
            )
        ]
    )
    derived = derive_spec(request, model)
    users = derived.doc["paths"]["/users"]["post"]
    # "API key" states `api_key`; answering with it, the operation cannot require it.
    assert "api_key" in derived.doc["components"]["schemas"]["User"]["properties"]
    assert users["security"] == []
    assert derived.doc["paths"]["/notes/{id}"]["get"]["security"] == [{"credential": []}]
    # The sentence about the header names no operation: the GET's slot reads it too.
    assert "Every notes request sends that key" in seen[1]


def test_a_reply_in_a_named_media_type_is_not_json() -> None:
    request = "GET /files?name=NAME answers 200 with the content as text/plain, or 404."
    derived = derive_spec(
        request, turns(answer(returned_fields=[{"name": "content", "type": "string"}]))
    )
    ok = derived.doc["paths"]["/files"]["get"]["responses"]["200"]
    assert ok["content"] == {"text/plain": {"schema": {"type": "string"}}}


def test_a_stated_default_is_kept_and_a_heading_ends_the_passages() -> None:
    request = (
        "GET /products lists products: `limit` (1 to 100, default 20) is the page size.\n\n"
        "Constraints:\n- Everything in app.py."
    )
    (mention,) = find_operations(request)
    assert "app.py" not in mention.passage
    derived = derive_spec(
        request, turns(answer(inputs=[field("limit", "integer", min=1, max=100)]))
    )
    (limit,) = derived.doc["paths"]["/products"]["get"]["parameters"]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert limit["required"] is False  # a default: the model's `required` is not taken


def test_an_operation_answering_a_session_token_is_public() -> None:
    request = (
        "POST /login answers 200 with a session token. Every other request sends it as a "
        "Bearer token. GET /me answers 200 with the caller's name."
    )
    model = turns(
        answer(inputs=[field("login")], login_required=True,
               returned_fields=[{"name": "session_token", "type": "string"}]),
        answer(login_required=True, returned_fields=[{"name": "name", "type": "string"}]),
    )  # fmt: skip
    paths = derive_spec(request, model).doc["paths"]
    assert paths["/login"]["post"]["security"] == []
    assert paths["/me"]["get"]["security"] == [{"credential": []}]


def test_a_post_without_a_body_is_asked_again_then_taken_as_it_is() -> None:
    request = "POST /pages/{name}/visits records one visit and answers 200 with the `visits`."
    no_body = answer(
        inputs=[field("name")], returned_fields=[{"name": "visits", "type": "integer"}]
    )
    derived = derive_spec(request, turns(no_body, no_body, no_body))
    assert derived.failed == []
    post = derived.doc["paths"]["/pages/{name}/visits"]["post"]
    assert "requestBody" not in post and post["parameters"][0]["in"] == "path"


def test_a_multipart_upload_has_a_binary_file_field_and_settings_are_not_inputs() -> None:
    request = (
        "POST /photos is a multipart form upload; the picture comes in the field `photo`. "
        "It is saved in the folder named by PHOTO_ROOT and answers 201 with its `id`. "
        "GET /photos/{id} answers with the picture as a PNG image, or 404."
    )
    model = turns(
        answer(  # the model leaves out the file and offers the setting as an input
            inputs=[field("PHOTO_ROOT")], success=201,
            returned_fields=[{"name": "id", "type": "integer"}],
        ),
        answer(success=201, returned_fields=[{"name": "id", "type": "integer"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    post = derived.doc["paths"]["/photos"]["post"]
    assert post["requestBody"]["content"] == {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"photo": {"type": "string", "format": "binary"}},
                "required": ["photo"],
            }
        }
    }
    assert any("PHOTO_ROOT" in n and "setting" in n for n in derived.notes)
    # A read answers 200 whatever the model said, here with the document type it names.
    get = derived.doc["paths"]["/photos/{id}"]["get"]["responses"]
    binary = {"type": "string", "format": "binary"}
    assert get["200"]["content"] == {"image/png": {"schema": binary}}
    assert "201" not in get


def test_fields_after_each_describe_the_items_of_a_list() -> None:
    request = (
        "POST /orders takes a `buyer` (1 to 80 characters) and `lines`, a list of 1 to 20 "
        "entries, each with a `sku` and a `count` from 1 to 99. It answers 201 with "
        '`{"id": <integer>, "count": ...}`.'
    )
    model = turns(
        answer(
            inputs=[field("buyer", min=1, max=80), field("lines", "array", min=1, max=20),
                    field("sku"), field("count", "integer", min=1, max=99)],
            success=201, returned_fields=[{"name": "count", "type": "integer"}],
        )
    )  # fmt: skip
    derived = derive_spec(request, model)
    post = derived.doc["paths"]["/orders"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"buyer", "lines"}
    lines = body["properties"]["lines"]
    assert (lines["minItems"], lines["maxItems"]) == (1, 20)
    assert lines["items"]["properties"]["count"] == {"type": "integer", "minimum": 1, "maximum": 99}
    assert lines["items"]["required"] == ["sku", "count"]
    # The reply is written out: exactly its fields, nothing echoed from the body.
    ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    reply = derived.doc["components"]["schemas"][ref.rpartition("/")[2]]
    assert reply["properties"] == {"id": {"type": "integer"}, "count": {"type": "integer"}}


def test_a_session_cookie_protects_what_needs_login_and_its_setter_is_public() -> None:
    request = (
        "POST /signin with a `user` and a `password` sets a session cookie when they match, "
        "else 401. PATCH /settings changes the `theme` of the signed-in user; without the "
        "cookie, 401. GET /pages/{slug} shows the page as an HTML page."
    )
    model = turns(
        answer(inputs=[field("user"), field("password")], login_required=True,
               returned_fields=[{"name": "user", "type": "string"},
                                {"name": "password", "type": "string"},
                                {"name": "session", "type": "string"}]),
        answer(inputs=[field("theme")], login_required=True, errors=[401]),
        answer(),
    )  # fmt: skip
    derived = derive_spec(request, model)
    assert derived.doc["components"]["securitySchemes"] == {
        "credential": {"type": "apiKey", "in": "cookie", "name": "session"}
    }
    paths = derived.doc["paths"]
    assert paths["/signin"]["post"]["security"] == []
    assert paths["/settings"]["patch"]["security"] == [{"credential": []}]
    assert any("`password` from the reply" in n for n in derived.notes)
    # The session travels in the cookie: the sign-in's reply does not carry it.
    ok = paths["/signin"]["post"]["responses"]["200"]["content"]["application/json"]
    reply = derived.doc["components"]["schemas"][ok["schema"]["$ref"].rpartition("/")[2]]
    assert set(reply["properties"]) == {"user"}
    page = paths["/pages/{slug}"]["get"]["responses"]["200"]["content"]
    assert page == {"text/html": {"schema": {"type": "string"}}}


def test_a_body_written_out_is_the_body_and_same_points_to_earlier_operations() -> None:
    request = (
        'POST /accounts with JSON `{"login": "...", "secret": "..."}` opens an account. '
        "POST /sessions with the same JSON checks the secret and answers 200.\n\n"
        "Notes:\n- Keep the accounts in a file at the path in ACCOUNTS_DB."
    )
    model = turns(
        answer(inputs=[field("login"), field("json", "object")], success=201),
        answer(inputs=[field("path"), field("login"), field("secret")]),
    )
    paths = derive_spec(request, model).doc["paths"]
    opened = paths["/accounts"]["post"]["requestBody"]["content"]["application/json"]
    assert set(opened["schema"]["properties"]) == {"login", "secret"}  # json out, secret in
    checked = paths["/sessions"]["post"]["requestBody"]["content"]["application/json"]
    # "same" reaches back to the earlier operations' words, not the whole request's.
    assert set(checked["schema"]["properties"]) == {"login", "secret"}


def test_a_sentence_naming_two_operations_gives_each_its_own_part() -> None:
    request = (
        "Members join with POST /join (`name` 2-20 characters; 201 on success) and sign in "
        'with POST /enter, which answers `{"access_token": "<JWT>"}` (401 when wrong). '
        "GET /go/{code} redirects (302) to the stored address. Only python-multipart and "
        "fastapi are installed."
    )
    join, enter, _ = find_operations(request)
    assert "access_token" not in join.own and "201" not in enter.own
    model = turns(
        answer(inputs=[field("name")], success=201,  # the model reads the whole sentence
               returned_fields=[{"name": "name", "type": "string"},
                                {"name": "access_token", "type": "string"}]),
        answer(inputs=[field("name")], success=201,
               returned_fields=[{"name": "name", "type": "string"}]),
        answer(returned_fields=[{"name": "code", "type": "string"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    paths, schemas = derived.doc["paths"], derived.doc["components"]["schemas"]

    def reply(path: str, status: str) -> set[str]:
        ok = paths[path]["post"]["responses"][status]["content"]["application/json"]
        return set(schemas[ok["schema"]["$ref"].rpartition("/")[2]]["properties"])

    assert reply("/join", "201") == {"name"}  # the login's reply is not the join's
    # Written out, the literal wins; handing out a credential is no 201.
    assert reply("/enter", "200") == {"access_token"}
    assert "application/json" in paths["/join"]["post"]["requestBody"]["content"]  # no upload
    assert paths["/go/{code}"]["get"]["responses"]["302"] == {"description": "Success"}


def test_stated_types_choices_and_a_listing_shape_the_resource() -> None:
    request = (
        "A ticket desk. POST /tickets opens a ticket (a title of 1 to 60 characters and a "
        "boolean urgent) and answers 201 with it and its new integer id. GET /tickets lists "
        "the tickets of one team (the required `team` parameter), ordered by the field "
        "named in `order`: one of id, title or opened (default opened)."
    )
    model = turns(
        answer(
            inputs=[field("title", min=1, max=60), field("urgent")], success=201,
            returned_fields=[{"name": "id", "type": "number"}, {"name": "title", "type": "string"}],
        ),
        # The model leaves out `order`, answers one object and names other fields.
        answer(
            inputs=[field("team")],
            returned_fields=[{"name": "id", "type": "integer"},
                             {"name": "opened", "type": "string"}],
        ),
    )  # fmt: skip
    derived = derive_spec(request, model)
    post = derived.doc["paths"]["/tickets"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["urgent"] == {"type": "boolean"}  # "a boolean urgent"
    get = derived.doc["paths"]["/tickets"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert params["order"]["schema"] == {
        "type": "string", "enum": ["id", "title", "opened"], "default": "opened"
    }  # fmt: skip
    assert params["order"]["required"] is False and params["team"]["required"] is True
    listed = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}}
    # One resource: the id is an integer ("its new integer id") and both answers' fields.
    ticket = derived.doc["components"]["schemas"]["Ticket"]
    assert ticket["properties"]["id"] == {"type": "integer"}
    assert set(ticket["properties"]) >= {"id", "title", "opened"}
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/Ticket"}


def test_a_field_described_as_a_time_is_a_date_time_the_store_can_set() -> None:
    request = (
        "POST /visits records a visit (a `page`) and answers 201 with it, its id and "
        "`seen`, the time the visit was recorded."
    )
    model = turns(
        answer(
            inputs=[field("page")], success=201,
            returned_fields=[{"name": "id", "type": "integer"}, {"name": "page", "type": "string"},
                             {"name": "seen", "type": "integer"}],
        )
    )  # fmt: skip
    derived = derive_spec(request, model)
    (visit,) = derived.doc["components"]["schemas"].values()
    assert visit["properties"]["seen"] == {"type": "string", "format": "date-time"}


def test_a_reply_field_described_in_plain_words_takes_its_head_noun() -> None:
    request = "POST /render fills a template (a `template`) and answers 200 with the rendered text."
    reply = [{"name": "rendered_text", "type": "string"}]
    derived = derive_spec(request, turns(answer(inputs=[field("template")], returned_fields=reply)))
    (schema,) = derived.doc["components"]["schemas"].values()
    assert list(schema["properties"]) == ["text"]


def test_a_page_of_items_is_not_a_list_and_a_counted_total_stays_whole() -> None:
    request = (
        "POST /songs adds a song (a `title`) and answers 201 with it and its id. "
        "GET /songs lists songs one page at a time; the answer holds the page's `items` "
        "and `total`, the number of all songs."
    )
    model = turns(
        answer(inputs=[field("title")], success=201,
               returned_fields=[{"name": "id", "type": "integer"}]),
        answer(returned_fields=[{"name": "items", "type": "array"},
                                {"name": "total", "type": "integer"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    reply = derived.doc["paths"]["/songs"]["get"]["responses"]["200"]["content"]
    ref = reply["application/json"]["schema"]["$ref"]
    page = derived.doc["components"]["schemas"][ref.rpartition("/")[2]]
    assert page["properties"]["total"] == {"type": "integer"}
    # The page's items are the resource POST /songs answers.
    assert page["properties"]["items"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/Song"}
    }  # fmt: skip


def test_anyone_may_call_it_is_public_and_all_of_them_is_a_list() -> None:
    request = (
        "Anyone may join: POST /members takes a `nick` and answers 201 with the member and "
        "its integer id. Only the owner may see the roster: the request must carry "
        "`Authorization: Bearer TOKEN` (the OWNER_TOKEN setting), else 401. GET /members "
        "answers 200 with all members."
    )
    model = turns(
        answer(inputs=[field("nick")], success=201, errors=[401], login_required=True,
               returned_fields=[{"name": "id", "type": "integer"},
                                {"name": "nick", "type": "string"}]),
        answer(login_required=True, errors=[401],
               returned_fields=[{"name": "members", "type": "array"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    post = derived.doc["paths"]["/members"]["post"]
    assert post["security"] == [] and "401" not in post["responses"]
    get = derived.doc["paths"]["/members"]["get"]
    assert get["security"] == [{"credential": []}]
    listed = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"type": "array", "items": {"$ref": "#/components/schemas/Member"}}


def test_a_reply_listed_in_words_is_those_fields() -> None:
    request = (
        "POST /blobs stores a blob (a `label` of 1 to 40 characters and its `data`) and "
        "answers 201 with its integer id and the blob's size in bytes. POST /tags adds a "
        "tag (a `word`) and answers 201 with it and its new id."
    )
    model = turns(
        answer(inputs=[field("label", min=1, max=40), field("data")], success=201,
               returned_fields=[{"name": "id", "type": "number"},
                                {"name": "label", "type": "string"}]),
        answer(inputs=[field("word")], success=201, returned_fields=[]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    schemas = derived.doc["components"]["schemas"]
    blob = derived.doc["paths"]["/blobs"]["post"]["responses"]["201"]["content"]
    ref = blob["application/json"]["schema"]["$ref"].rpartition("/")[2]
    # Listed: the id and the size, nothing echoed from the body.
    assert schemas[ref]["properties"] == {"id": {"type": "integer"}, "size": {"type": "integer"}}
    tag = derived.doc["paths"]["/tags"]["post"]["responses"]["201"]["content"]
    ref = tag["application/json"]["schema"]["$ref"].rpartition("/")[2]
    # "with it and its new id": the body echoed, and the id.
    assert set(schemas[ref]["properties"]) == {"word", "id"}


def test_operations_in_api_docs_layouts() -> None:
    # A full URL, a Markdown heading and a Title Case line heading the next operation.
    docs = (
        "## Make a widget\n"
        "POST https://api.example.test:8080/v2/widgets/\n"
        '```\n{"label": "w"}\n```\n\n'
        "Find One Widget\n\n"
        "GET /v2/widgets/:id\n\n"
        "Returns:\n\n200 OK\n\n404 Not Found (no such widget)\n"
    )
    found = find_operations(docs)
    assert [m.label for m in found] == ["POST /v2/widgets", "GET /v2/widgets/{id}"]
    assert found[1].passage.startswith("Find One Widget")
    assert "404 Not Found" in found[1].passage and "Find One" not in found[0].passage
    # Sections headed by a bare path: GET unless the section names another method, and
    # "Query params:" belongs to the section rather than ending it.
    sections = (
        "### `/gadgets/`\nList all gadgets\n* Query params:\n  * `kind`: a gadget kind\n"
        "### `/gadgets/<int:pk>/rename/`\nRename one.\n* PATCH body format: {name}\n"
    )
    found = find_operations(sections)
    assert [m.label for m in found] == ["GET /gadgets", "PATCH /gadgets/{pk}/rename"]
    assert "`kind`" in found[0].passage


def test_a_list_named_for_something_else_holds_plain_values() -> None:
    request = (
        "POST /resolve takes a `name` and answers 200 with the name and the list of its "
        "aliases, or 404."
    )
    model = turns(
        answer(inputs=[field("name")], errors=[404],
               returned_fields=[{"name": "name", "type": "string"},
                                {"name": "aliases", "type": "array"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    reply = derived.doc["components"]["schemas"]["Resolve"]
    assert reply["properties"]["aliases"] == {"type": "array", "items": {"type": "string"}}


def test_a_redirect_with_no_status_stated_is_a_307() -> None:
    request = "GET /go/{code}: if the code exists, redirect to its target; otherwise 404."
    derived = derive_spec(request, turns(answer(errors=[404])))
    responses = derived.doc["paths"]["/go/{code}"]["get"]["responses"]
    assert set(responses) == {"307", "404"} and "content" not in responses["307"]


def test_a_credential_the_operation_never_names_is_not_its_reply() -> None:
    request = "POST /join `{ email, password }`. POST /enter `{ email, password }` returns a token."
    reply = [{"name": "token", "type": "string"}]
    model = turns(
        answer(inputs=[field("email"), field("password")], success=201, returned_fields=reply),
        answer(inputs=[field("email"), field("password")], returned_fields=reply),
    )
    derived = derive_spec(request, model)
    schemas = derived.doc["components"]["schemas"]
    joined = derived.doc["paths"]["/join"]["post"]["responses"]
    assert "201" in joined  # no credential handed out: it creates the account
    ref = joined["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "token" not in schemas[ref.rpartition("/")[2]]["properties"]
    entered = derived.doc["paths"]["/enter"]["post"]["responses"]["200"]["content"]
    ref = entered["application/json"]["schema"]["$ref"]
    assert "token" in schemas[ref.rpartition("/")[2]]["properties"]


def test_a_map_is_an_object_whatever_the_model_types_it() -> None:
    request = "POST /fill takes a `form` (up to 500 characters) and a map of string values."
    model = turns(answer(inputs=[field("form", max=500), field("values")]))
    body = derive_spec(request, model).doc["paths"]["/fill"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["properties"]["values"] == {
        "type": "object"
    }


def test_replies_the_request_lists_are_not_merged_into_one_resource() -> None:
    request = (
        "POST /memos saves a memo (a `title` and a `body`) and answers 201 with its integer "
        "id, its title and the body's length in characters. GET /memos/{id} answers 200 "
        "with the id, title and body, or 404."
    )
    model = turns(
        answer(inputs=[field("title"), field("body")], success=201,
               returned_fields=[{"name": "id", "type": "integer"}]),
        answer(errors=[404], returned_fields=[{"name": "id", "type": "string"}]),
    )  # fmt: skip
    derived = derive_spec(request, model)
    schemas = derived.doc["components"]["schemas"]
    shapes = sorted(sorted(s["properties"]) for s in schemas.values())
    assert shapes == [["body", "id", "title"], ["id", "length", "title"]]
    # Still one resource: the GET's `id` has the type the POST gave it ("integer id").
    assert all(s["properties"]["id"] == {"type": "integer"} for s in schemas.values())
