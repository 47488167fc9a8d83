def add(client, title, body, private=False):
    r = client.post("/documents", json={"title": title, "body": body, "private": private})
    assert r.status_code == 201, r.text
    return r.json()


def test_search_finds_title_and_body_case_insensitively(client, unique):
    word = unique("zebra")
    a = add(client, f"About {word.upper()}", "stripes")
    b = add(client, "Field notes", f"we saw a {word} today")
    add(client, "Unrelated", "nothing here")
    r = client.get("/search", params={"q": word})
    assert r.status_code == 200
    assert r.json() == [{"id": a["id"], "title": a["title"]}, {"id": b["id"], "title": b["title"]}]


def test_private_documents_are_not_found(client, unique):
    word = unique("hidden")
    doc = add(client, "Diary", f"{word} thoughts", private=True)
    assert doc["private"] is True
    assert client.get("/search", params={"q": word}).json() == []


def test_wildcards_are_plain_text(client, unique):
    word = unique("pct")
    add(client, "Sale", f"{word} 1000 items")
    hit = add(client, "Real sale", f"{word} 100% off")
    assert [d["id"] for d in client.get("/search", params={"q": f"{word} 100%"}).json()] == [
        hit["id"]
    ]
    assert client.get("/search", params={"q": f"{word}_1000"}).json() == []


def test_quotes_are_searchable(client, unique):
    word = unique("q")
    doc = add(client, "Quote", f"it's {word}")
    assert [d["id"] for d in client.get("/search", params={"q": f"it's {word}"}).json()] == [
        doc["id"]
    ]


def test_invalid_input(client, invalid):
    assert invalid(client.post("/documents", json={"title": "", "body": "x"}))
    assert invalid(client.get("/search"))
    assert invalid(client.get("/search", params={"q": "x" * 101}))
