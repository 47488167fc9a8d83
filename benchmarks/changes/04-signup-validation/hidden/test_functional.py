"""POST /signups validates each field and keeps accepting good sign-ups."""

import pytest

GOOD = {"name": "Ada Lovelace", "email": "ada@example.org", "age": 36}


def test_a_good_signup_is_stored(client):
    r = client.post("/signups", json=GOOD)
    assert r.status_code == 201, r.text
    stored = client.get(f"/signups/{r.json()['id']}").json()
    assert {k: stored[k] for k in GOOD} == GOOD


def test_name_is_stored_trimmed(client):
    r = client.post("/signups", json={**GOOD, "name": "  Grace Hopper "})
    assert r.status_code == 201
    assert client.get(f"/signups/{r.json()['id']}").json()["name"] == "Grace Hopper"


def test_edges_are_accepted(client):
    for body in ({**GOOD, "age": 16}, {**GOOD, "age": 120}, {**GOOD, "name": "x" * 80}):
        assert client.post("/signups", json=body).status_code == 201, body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""), ("name", "   "), ("name", "x" * 81), ("name", 42),
        ("email", "ada"), ("email", "ada@@example.org"), ("email", "ada@localhost"),
        ("email", "ada lovelace@example.org"), ("email", None),
        ("age", 15), ("age", 121), ("age", "36"), ("age", 36.5),
    ],
)  # fmt: skip
def test_bad_fields_are_refused_and_named(client, field, value):
    r = client.post("/signups", json={**GOOD, field: value})
    assert r.status_code == 400, f"{field}={value!r} answered {r.status_code}"
    assert field in r.json()["error"]


@pytest.mark.parametrize("missing", ["name", "email", "age"])
def test_missing_fields_are_refused(client, missing):
    body = {k: v for k, v in GOOD.items() if k != missing}
    assert client.post("/signups", json=body).status_code == 400


def test_unknown_fields_are_refused(client):
    assert client.post("/signups", json={**GOOD, "is_admin": True}).status_code == 400
