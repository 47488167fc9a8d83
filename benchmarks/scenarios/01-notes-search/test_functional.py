def create(client, title, body="text"):
    r = client.post("/notes", json={"title": title, "body": body})
    assert r.status_code == 201, r.text
    return r.json()


def test_create_returns_the_note_with_an_id(client, unique):
    title = unique("groceries")
    note = create(client, title, "milk, eggs")
    assert note["title"] == title
    assert note["body"] == "milk, eggs"
    assert isinstance(note["id"], int)


def test_search_matches_part_of_the_title_ignoring_case(client, unique):
    word = unique("Quarterly")
    note = create(client, f"{word} report")
    r = client.get("/notes", params={"q": word.upper()})
    assert r.status_code == 200
    assert [n["id"] for n in r.json()] == [note["id"]]


def test_search_lists_newest_first(client, unique):
    word = unique("order")
    first = create(client, f"{word} one")
    second = create(client, f"{word} two")
    r = client.get("/notes", params={"q": word})
    assert [n["id"] for n in r.json()] == [second["id"], first["id"]]


def test_search_without_match_is_an_empty_list(client, unique):
    r = client.get("/notes", params={"q": unique("nothing-like-this")})
    assert r.status_code == 200
    assert r.json() == []


def test_missing_title_is_refused(client, invalid):
    assert invalid(client.post("/notes", json={"body": "no title"}))


def test_search_needs_q(client, invalid):
    assert invalid(client.get("/notes"))
