def test_save_then_read(client, unique):
    name = unique("notes") + ".txt"
    r = client.post("/files", json={"name": name, "content": "héllo\nworld"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "size": len("héllo\nworld".encode())}
    r = client.get("/files", params={"name": name})
    assert r.status_code == 200
    assert r.text == "héllo\nworld"
    assert r.headers["content-type"].startswith("text/plain")


def test_saving_again_replaces(client, unique):
    name = unique("draft")
    client.post("/files", json={"name": name, "content": "one"})
    client.post("/files", json={"name": name, "content": "two"})
    assert client.get("/files", params={"name": name}).text == "two"


def test_file_is_kept_in_files_dir(client, unique, env_path):
    name = unique("stored") + ".txt"
    client.post("/files", json={"name": name, "content": "on disk"})
    assert (env_path("FILES_DIR") / name).read_text() == "on disk"


def test_unknown_file_is_404(client, unique):
    assert client.get("/files", params={"name": unique("missing")}).status_code == 404
