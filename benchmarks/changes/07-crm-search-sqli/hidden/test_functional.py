"""Customer lookup by domain and status, unchanged for honest input."""


def add(client, name, email, status="active"):
    r = client.post("/customers", json={"name": name, "email": email, "status": status})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_domain_matches_ignoring_case_ordered_by_name(client, unique):
    domain = f"{unique('acme')}.test"
    b = add(client, "Bea", f"bea@{domain}")
    a = add(client, "Al", f"AL@{domain.upper()}")
    add(client, "Cy", f"cy@sub.{domain}x")
    r = client.get("/customers", params={"domain": domain})
    assert r.status_code == 200
    assert [c["id"] for c in r.json()] == [a, b]


def test_status_filters(client, unique):
    domain = f"{unique('globex')}.test"
    lead = add(client, "Lee", f"lee@{domain}", "lead")
    add(client, "Act", f"act@{domain}", "active")
    assert [
        c["id"]
        for c in client.get("/customers", params={"domain": domain, "status": "lead"}).json()
    ] == [lead]


def test_an_apostrophe_is_just_a_character(client, unique):
    domain = f"{unique('o')}.test"
    oid = add(client, "O'Brien", f"o'brien@{domain}")
    assert [c["name"] for c in client.get("/customers", params={"domain": domain}).json()] == [
        "O'Brien"
    ]
    assert client.get("/customers", params={"domain": f"x'{domain}"}).json() == []
    assert oid


def test_notes_are_not_listed(client, unique):
    domain = f"{unique('n')}.test"
    client.post(
        "/customers", json={"name": "N", "email": f"n@{domain}", "status": "lead", "notes": "vip"}
    )
    assert "notes" not in client.get("/customers", params={"domain": domain}).json()[0]
