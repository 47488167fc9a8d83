"""GET /authors: the same JSON, from a fixed number of queries."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine


def seed(client, name, titles):
    r = client.post("/authors", json={"name": name, "email": "x@example.org"})
    assert r.status_code == 201, r.text
    author = r.json()
    author["books"] = []
    for title in titles:
        r = client.post(f"/authors/{author['id']}/books", json={"title": title, "year": 1990})
        assert r.status_code == 201, r.text
        author["books"].append(r.json())
    return author


def test_authors_with_their_books(client, unique):
    a = seed(client, unique("Le Guin"), ["The Dispossessed", "Lavinia"])
    b = seed(client, unique("Calvino"), [])
    listed = {x["id"]: x for x in client.get("/authors").json()}
    assert listed[a["id"]] == a
    assert listed[b["id"]] == b
    ids = list(listed)
    assert ids == sorted(ids)


def count_queries(load_service, tmp_path, authors):
    module = load_service("app", DATABASE_PATH=str(tmp_path / f"count-{authors}.db"))
    engines = [v for v in vars(module).values() if isinstance(v, Engine)]
    assert engines, "the service module holds no SQLAlchemy engine"
    client = TestClient(module.app)
    for n in range(authors):
        author = client.post(
            "/authors", json={"name": f"a{n}", "email": f"a{n}@example.org"}
        ).json()
        for t in range(2):
            client.post(f"/authors/{author['id']}/books", json={"title": f"b{n}-{t}", "year": 2000})
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(engines[0], "before_cursor_execute", listen)
    try:
        r = client.get("/authors")
    finally:
        event.remove(engines[0], "before_cursor_execute", listen)
    assert r.status_code == 200 and len(r.json()) == authors
    assert all(len(a["books"]) == 2 for a in r.json())
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize("authors", [5, 40])
def test_a_fixed_number_of_queries(load_service, tmp_path, authors):
    selects = count_queries(load_service, tmp_path, authors)
    assert len(selects) <= 3, f"{len(selects)} SELECTs for {authors} authors"
