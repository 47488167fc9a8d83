def login(client, unique):
    creds = {"username": unique("user"), "password": "a long password"}
    assert client.post("/register", json=creds).status_code == 201
    r = client.post("/login", json=creds)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"].lower() == "bearer" and body["access_token"].count(".") == 2
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_register_login_and_use_the_token(client, unique):
    auth = login(client, unique)
    r = client.post("/todos", json={"title": "water the plants"}, headers=auth)
    assert r.status_code == 201, r.text
    todo = r.json()
    assert todo["title"] == "water the plants" and todo["done"] is False
    r = client.get(f"/todos/{todo['id']}", headers=auth)
    assert r.status_code == 200 and r.json() == todo


def test_duplicate_username_is_409(client, unique):
    creds = {"username": unique("dup"), "password": "a long password"}
    client.post("/register", json=creds)
    assert client.post("/register", json=creds).status_code == 409


def test_wrong_password_is_401(client, unique):
    creds = {"username": unique("pw"), "password": "a long password"}
    client.post("/register", json=creds)
    assert client.post("/login", json={**creds, "password": "not the one"}).status_code == 401


def test_token_required(client):
    assert client.post("/todos", json={"title": "x"}).status_code == 401
    assert client.get("/todos/1").status_code == 401
    bad = {"Authorization": "Bearer not.a.token"}
    assert client.post("/todos", json={"title": "x"}, headers=bad).status_code == 401


def test_missing_todo_is_404(client, unique):
    assert client.get("/todos/99999999", headers=login(client, unique)).status_code == 404
