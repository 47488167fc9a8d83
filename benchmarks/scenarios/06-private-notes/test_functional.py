def new_user(client, unique):
    r = client.post("/users", json={"username": unique("user")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["api_key"]
    return {"X-API-Key": body["api_key"]}


def test_users_get_distinct_keys(client, unique):
    a = new_user(client, unique)
    b = new_user(client, unique)
    assert a != b


def test_owner_reads_own_note(client, unique):
    key = new_user(client, unique)
    r = client.post("/notes", json={"text": "buy milk"}, headers=key)
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["text"] == "buy milk"
    r = client.get(f"/notes/{note['id']}", headers=key)
    assert r.status_code == 200
    assert r.json() == note


def test_notes_need_a_key(client):
    assert client.post("/notes", json={"text": "x"}).status_code == 401


def test_unknown_key_is_401(client):
    r = client.post("/notes", json={"text": "x"}, headers={"X-API-Key": "not-a-real-key"})
    assert r.status_code == 401


def test_missing_note_is_404(client, unique):
    key = new_user(client, unique)
    assert client.get("/notes/987654321", headers=key).status_code == 404
