import os

import pytest


@pytest.fixture
def admin():
    return {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}


def sign_up(client, unique):
    email = unique("user") + "@example.com"
    r = client.post("/accounts", json={"email": email})
    assert r.status_code == 201, r.text
    assert r.json()["email"] == email
    return r.json()


def test_sign_up_then_admin_lists(client, unique, admin):
    account = sign_up(client, unique)
    r = client.get("/accounts", headers=admin)
    assert r.status_code == 200
    assert account in r.json()


def test_duplicate_email_is_409(client, unique):
    email = unique("twice") + "@example.com"
    client.post("/accounts", json={"email": email})
    assert client.post("/accounts", json={"email": email}).status_code == 409


def test_admin_deletes(client, unique, admin):
    account = sign_up(client, unique)
    assert client.delete(f"/accounts/{account['id']}", headers=admin).status_code == 204
    ids = [a["id"] for a in client.get("/accounts", headers=admin).json()]
    assert account["id"] not in ids
    assert client.delete(f"/accounts/{account['id']}", headers=admin).status_code == 404


def test_listing_without_token_is_401(client):
    assert client.get("/accounts").status_code == 401


def test_delete_with_wrong_token_is_401(client, unique):
    account = sign_up(client, unique)
    r = client.delete(f"/accounts/{account['id']}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
