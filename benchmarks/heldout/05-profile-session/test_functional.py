import uuid


def account(client):
    name = "u_" + uuid.uuid4().hex[:10]
    creds = {"username": name, "password": "correct horse battery"}
    assert client.post("/signup", json=creds).status_code == 201
    return creds


def test_login_sets_a_cookie_that_updates_the_profile(client):
    creds = account(client)
    r = client.post("/login", json=creds)
    assert r.status_code == 200, r.text
    assert client.cookies, "no session cookie set"
    assert client.put("/profile", json={"bio": "I like tea"}).status_code == 200
    page = client.get(f"/u/{creds['username']}")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert creds["username"] in page.text and "I like tea" in page.text


def test_wrong_password_is_401(client):
    creds = account(client)
    assert client.post("/login", json={**creds, "password": "wrong password"}).status_code == 401
    assert (
        client.post("/login", json={"username": "nobody_here", "password": "x" * 8}).status_code
        == 401
    )


def test_duplicate_and_invalid_signups(client):
    creds = account(client)
    assert client.post("/signup", json=creds).status_code == 409
    assert (
        client.post("/signup", json={"username": "ab", "password": "long enough"}).status_code
        == 400
    )
    assert (
        client.post("/signup", json={"username": "fine_name", "password": "short"}).status_code
        == 400
    )


def test_profile_needs_login(client):
    assert client.put("/profile", json={"bio": "anonymous"}).status_code == 401


def test_unknown_profile_is_404(client):
    assert client.get("/u/no_such_user_123").status_code == 404
