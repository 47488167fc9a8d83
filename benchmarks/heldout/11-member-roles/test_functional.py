import os


def signup(client, unique):
    r = client.post("/signup", json={"username": unique("m")})
    assert r.status_code == 201, r.text
    return r.json()


def test_signup_and_me(client, unique):
    member = signup(client, unique)
    assert member["role"] == "member" and member["api_key"]
    r = client.get("/me", headers={"X-API-Key": member["api_key"]})
    assert r.status_code == 200
    assert r.json() == {"id": member["id"], "username": member["username"], "role": "member"}


def test_operator_changes_a_role(client, unique):
    member = signup(client, unique)
    admin = {"X-Admin-Token": os.environ["ADMIN_TOKEN"]}
    r = client.put(f"/users/{member['id']}/role", json={"role": "moderator"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "moderator"
    assert client.get("/me", headers={"X-API-Key": member["api_key"]}).json()["role"] == "moderator"


def test_role_change_needs_the_operator(client, unique):
    member = signup(client, unique)
    r = client.put(
        f"/users/{member['id']}/role", json={"role": "admin"}, headers={"X-Admin-Token": "nope"}
    )
    assert r.status_code == 403


def test_unknown_member_and_key(client):
    admin = {"X-Admin-Token": os.environ["ADMIN_TOKEN"]}
    assert (
        client.put("/users/987654/role", json={"role": "admin"}, headers=admin).status_code == 404
    )
    assert client.get("/me", headers={"X-API-Key": "unknown"}).status_code == 401
    assert client.get("/me").status_code == 401
