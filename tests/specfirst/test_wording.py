"""Facts read from a request's words: the rules `prose` checks a model's answers with."""

from __future__ import annotations

import pytest

from bdev.specfirst import wording


@pytest.mark.parametrize(
    ("passage", "method", "media"),
    [
        ("GET /r/{id} answers with the report as a PDF.", "GET", "application/pdf"),
        ("GET /a/{id} renders an HTML page with the title.", "GET", "text/html"),
        ("GET /f/{n} downloads the file, 404 if missing.", "GET", "application/octet-stream"),
        ("GET /x answers in text/plain.", "GET", "text/plain"),
        ("GET /x answers a JSON object, never a PDF.", "GET", None),  # JSON is said
        ("POST /img takes a PNG image and answers 201.", "POST", None),  # the input's
        ("GET /x answers a PNG or a GIF.", "GET", None),  # two kinds: cannot tell
        ("GET /items lists the items.", "GET", None),
    ],
)
def test_reply_media(passage: str, method: str, media: str | None) -> None:
    assert wording.reply_media(passage, method) == media


def test_reply_literal_reads_the_fields_and_the_types_their_values_show() -> None:
    passage = (
        'POST /t takes `{"name": "..."}` and answers 201 with `{"id": <int>, "done": false, '
        '"tags": [...], "who", "note": "<text>", "sum": <total, in cents>}`.'
    )
    assert wording.reply_literal(passage) == {
        "id": "integer", "done": "boolean", "tags": "array", "who": None,
        "note": "string", "sum": None,
    }  # fmt: skip
    assert wording.reply_literal('PUT /p with JSON `{"bio": "..."}` changes the bio.') is None


def test_upload_fields_and_settings() -> None:
    assert wording.upload_fields("a multipart form, field `doc`", ["doc", "x"]) == ["doc"]
    assert wording.upload_fields("the `scan` field holds it", []) == ["scan"]
    assert wording.upload_fields("upload an image", ["image", "title"]) == ["image"]
    assert wording.is_multipart("a multipart/form-data body")
    assert not wording.is_multipart("a JSON body")
    assert wording.is_setting("UPLOAD_DIR") and not wording.is_setting("user_id")
    assert not wording.is_setting("ID")


def test_item_fields_follow_each_after_the_list() -> None:
    passage = "It takes `title` and `rows`, a list, each with `sku` and `qty`. Also `note`."
    names = ["title", "rows", "sku", "qty", "note"]
    assert wording.item_fields(passage, "rows", names) == ["sku", "qty"]
    assert wording.item_fields(passage, "title", names) == []  # "each" is about rows


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("Send it in the X-Key header.", {"type": "apiKey", "in": "header", "name": "X-Key"}),
        ("Log in sets a session cookie.", {"type": "apiKey", "in": "cookie", "name": "session"}),
        (
            "Login sets the `sid` cookie for the session.",
            {"type": "apiKey", "in": "cookie", "name": "sid"},
        ),
        ("Send `Authorization: Bearer <token>`.", {"type": "http", "scheme": "bearer"}),
        ("Cookies are not used; a Bearer token is.", {"type": "http", "scheme": "bearer"}),
        ("A REST API using auth tokens.", {"type": "http", "scheme": "bearer"}),
        ("No credentials at all.", None),
    ],
)
def test_credential_scheme(text: str, scheme: dict[str, str] | None) -> None:
    assert wording.credential_scheme(text) == scheme


def test_request_literal_is_the_body_written_out_not_the_reply() -> None:
    passage = 'POST /l takes `{"url": "...", "n": 3}` and answers 201 with `{"code": "<c>"}`.'
    assert wording.request_literal(passage) == {"url": "string", "n": "integer"}
    assert wording.request_literal('POST /x answers 201 with `{"id": 1}`.') is None
    listed = "POST /api/products @body: name, slug, ?price"
    assert wording.request_literal(listed) == {"name": None, "slug": None, "price": None}
    assert wording.request_literal("Body: title, content. Returns the note.") == {
        "title": None, "content": None
    }  # fmt: skip
    assert wording.request_literal("The body: it is, in short, JSON") is None
    assert wording.request_literal("Request body: JSON") is None


def test_money_is_a_number_unless_counted_in_cents() -> None:
    assert wording.is_money("unit_price", "a unit_price from 0 to 500")
    assert wording.is_money("total", "the total, rounded to cents")
    assert not wording.is_money("price", "the price in cents")
    assert not wording.is_money("quantity", "a quantity from 1 to 9")
    assert not wording.is_money("pricelist_id", "")


def test_a_total_is_money_only_when_its_own_words_say_so() -> None:
    # A page's `total` counts things; an order's total is money.
    page = "A page holds its entries and `total`, the number of all entries; prices vary."
    assert not wording.is_money("total", page)
    assert not wording.is_money("total", "The reply has `items` and `total` (a count).")
    assert wording.is_money("total", "The order answers its `total`, the sum of its prices.")
    assert wording.is_money("amount", "A payment has an `amount` in dollars.")
    assert not wording.is_money("amount", "Each row has an `amount` of stock.")
    assert not wording.is_money("unit_cost", "a `unit_cost`, the number of tokens used")
    # Written out as JSON, the field's own words follow its quoted key.
    literal = 'answers `{"id": <integer>, "total": <sum of the lines, rounded to cents>}`'
    assert wording.own_words("total", literal) == "sum of the lines, rounded to cents"
    assert wording.is_money("total", literal)
    assert wording.is_money("total", "POST /orders records an order (a total of at least 0)")


def test_a_part_of_a_hyphenated_name_is_not_a_word() -> None:
    found = wording.words("It answers with Content-Type application/pdf and an API key.")
    assert "content_type" in found and "api_key" in found
    assert "type" not in found


def test_values_to_choose_from_and_their_default() -> None:
    text = "sorted by `key`: one of `name`, `size` and `age` (default name)."
    assert wording.choices("key", text) == ["name", "size", "age"]
    assert wording.default_word("key", text) == "name"
    assert wording.choices("name", text) == []
    assert wording.named_parameters(text, bodiless=True) == ["key"]
    assert wording.named_parameters(text, bodiless=False) == []
    assert wording.named_parameters("an optional `q` query parameter", bodiless=False) == ["q"]


def test_types_written_before_a_name_and_listings() -> None:
    assert wording.stated_types("its new integer id and a boolean `done`") == {
        "id": "integer", "done": "boolean"
    }  # fmt: skip
    assert wording.stated_types("a `body` and a map of string values") == {"values": "object"}
    assert wording.answers_a_list("GET /pets lists the pets of one owner")
    assert not wording.answers_a_list("lists pets one page at a time")
    assert not wording.answers_a_list("answers the pet with its id")


def test_open_to_all_in_words() -> None:
    assert wording.says_public("Anyone may sign up: POST /users takes a name")
    assert wording.says_public("GET /status is public")
    assert wording.says_public("readable without a token")
    assert not wording.says_public("anyone with the admin token may delete")
    assert not wording.says_public("answers the public key of the user")
    assert wording.answers_a_list("GET /users answers 200 with all users.")


def test_a_reply_listed_as_noun_phrases() -> None:
    listed = wording.reply_list(
        "answers 201 with the new user's integer id, its name and a session token; or 409",
        "user",
    )
    assert listed == wording.ReplyList(
        whole=False, names=[("id",), ("name",), ("session_token", "token")]
    )
    assert wording.reply_list("answers 201 with the user and its id.", "user") == (
        wording.ReplyList(whole=True, names=[("id",)])
    )
    # Descriptions, not fields: left to the model.
    assert wording.reply_list("answers 200 with the text repeated that many times", "x") is None
    assert wording.reply_list("answers 200 with all users.", "user") is None
    assert (
        wording.reply_list("answers 200 with the host and the list of its addresses", "h") is None
    )


def test_only_a_success_reply_listing_fields_is_read() -> None:
    assert wording.reply_list("answers 404 with an error message", "x") is None
    assert wording.reply_list("answers 200 with a JSON object", "x") is None
    listed = wording.reply_list("or answers 409 with a reason; else answers 201 with its id", "x")
    assert listed == wording.ReplyList(whole=False, names=[("id",)])


def test_objects_written_as_api_docs_write_them() -> None:
    line = "POST /auth/signin { login, secret } -> { session_token, expires_in }"
    assert wording.request_literal(line) == {"login": None, "secret": None}
    assert wording.reply_literal(line) == {"session_token": None, "expires_in": None}
    docs = 'Request: `{link: "url"}` Response: `{link: "url", slug: "abc", hits: 3}`'
    assert wording.request_literal(docs) == {"link": "string"}
    assert wording.reply_literal(docs) == {"link": "string", "slug": "string", "hits": "integer"}
    assert wording.request_literal("PATCH /pets/<id> { name?, age? }") == {
        "name": None,
        "age": None,
    }
    # Not objects: a path's template, a template language's placeholder.
    assert wording.request_literal("GET /pets/{id} answers the pet") is None
    assert wording.request_literal("POST /greet fills `{{ name }}` in the text") is None


def test_titles_that_list_everything() -> None:
    assert wording.answers_a_list("List All Invoices GET /invoices")
    assert wording.answers_a_list("GET /pets - Get all pets")
    assert not wording.answers_a_list("GET /pets/{id} - Get one pet")
    assert wording.answers_a_list("Return all items: curl localhost:8080/v0/items")
    assert wording.answers_a_list("GET /api/data?limit=5 - Returns 5 items")
    assert wording.answers_a_list("### Fetch Users GET /api/users", "users")
    assert not wording.answers_a_list("### Fetch User GET /api/users/{id}", "users")
    assert not wording.answers_a_list("### Fetch Users GET /api/users", "")


def test_a_point_in_time_is_named_or_described_as_one() -> None:
    assert wording.is_moment("created_at", "")
    assert wording.is_moment("updated", "each note with its `updated` field")
    orders = "sorted by id, total or created (default id; created is the time it was made)"
    assert wording.is_moment("created", orders)
    assert wording.is_moment("due", "a `due` (the date it is due)")
    assert not wording.is_moment("duration", "`duration`: the time it took, in seconds")
    assert not wording.is_moment("created_at", "`created_at`, seconds since the Unix epoch")
    assert not wording.is_moment("format", "")


def test_a_field_described_in_plain_words_is_named_by_its_head_noun() -> None:
    assert wording.plain_name("rendered_text", "answers 200 with the rendered text") == "text"
    assert wording.plain_name("session_token", "with a session token (opaque)") == "token"
    assert wording.plain_name("hashed_password", "stores the hashed password") == "password"
    # Written out, a term of art, a compound noun, or not the passage's words: kept.
    assert wording.plain_name("rendered_text", "answers `rendered_text`") == "rendered_text"
    assert wording.plain_name("access_token", "answers an access token") == "access_token"
    assert wording.plain_name("ip_addresses", "the list of its IP addresses") == "ip_addresses"
    assert wording.plain_name("email_address", "an email address") == "email_address"
    assert wording.plain_name("shortened_url", "the shortened url") == "shortened_url"
    assert wording.plain_name("word_count", "how many words it has") == "word_count"
    assert wording.plain_name("total_price_cents", "the total price cents") == "total_price_cents"
