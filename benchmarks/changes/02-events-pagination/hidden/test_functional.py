"""GET /events with limit, offset and kind."""


def log(client, kind, count):
    ids = []
    for n in range(count):
        r = client.post("/events", json={"kind": kind, "message": f"event {n}"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids[::-1]  # newest first


def test_kind_keeps_only_that_kind(client, unique):
    kind = unique("deploy")
    ids = log(client, kind, 3)
    log(client, unique("other"), 2)
    r = client.get("/events", params={"kind": kind})
    assert r.status_code == 200
    assert [e["id"] for e in r.json()] == ids


def test_kind_matches_exactly(client, unique):
    kind = unique("login")
    log(client, kind + "-failed", 1)
    assert client.get("/events", params={"kind": kind}).json() == []


def test_limit_and_offset_page_through(client, unique):
    kind = unique("page")
    ids = log(client, kind, 7)
    pages = [
        [
            e["id"]
            for e in client.get("/events", params={"kind": kind, "limit": 3, "offset": o}).json()
        ]
        for o in (0, 3, 6)
    ]
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]


def test_default_limit_is_twenty(client, unique):
    kind = unique("bulk")
    ids = log(client, kind, 23)
    assert [e["id"] for e in client.get("/events", params={"kind": kind}).json()] == ids[:20]
    assert len(client.get("/events").json()) == 20


def test_a_limit_of_one_hundred_is_allowed(client):
    assert client.get("/events", params={"limit": 100}).status_code == 200


def test_bad_paging_values_are_refused(client):
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"offset": -1}, {"offset": "x"}):
        assert client.get("/events", params=params).status_code == 400, params
