def test_save_then_read(client, unique):
    title = unique("memo")
    r = client.post("/documents", json={"title": title, "content": "ünïcode text"})
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["title"] == title and saved["length"] == len("ünïcode text")
    r = client.get(f"/documents/{saved['id']}")
    assert r.status_code == 200
    assert r.json() == {"id": saved["id"], "title": title, "content": "ünïcode text"}


def test_content_at_the_limit_is_accepted(client, unique):
    r = client.post("/documents", json={"title": unique("big"), "content": "a" * 65_536})
    assert r.status_code == 201, r.text
    assert r.json()["length"] == 65_536


def test_content_over_the_limit_is_refused(client, unique):
    r = client.post("/documents", json={"title": unique("huge"), "content": "a" * 65_537})
    assert r.status_code in (400, 413, 422)


def test_unknown_document_is_404(client):
    assert client.get("/documents/987654321").status_code == 404
