def register(client, username, password):
    return client.post("/register", json={"username": username, "password": password})


def test_register_then_login(client, unique):
    name = unique("ann")
    r = register(client, name, "correct horse battery")
    assert r.status_code == 201, r.text
    assert r.json()["username"] == name
    r = client.post("/login", json={"username": name, "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["token"], str) and r.json()["token"]


def test_taken_username_is_409(client, unique):
    name = unique("bob")
    register(client, name, "password-one")
    assert register(client, name, "password-two").status_code == 409


def test_wrong_password_is_401(client, unique):
    name = unique("cid")
    register(client, name, "right-password")
    r = client.post("/login", json={"username": name, "password": "wrong-password"})
    assert r.status_code == 401


def test_unknown_user_is_401(client, unique):
    r = client.post("/login", json={"username": unique("ghost"), "password": "whatever1"})
    assert r.status_code == 401


def test_short_password_is_refused(client, unique, invalid):
    assert invalid(register(client, unique("dee"), "short"))


def test_users_are_kept_in_the_database_file(client, unique, env_path):
    register(client, unique("eve"), "stored-somewhere")
    assert env_path("DATABASE_PATH").is_file()
