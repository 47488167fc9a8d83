def upload(client, name, data):
    return client.post("/files", files={"file": (name, data, "application/octet-stream")})


def test_upload_then_download(client, unique):
    name = unique("report") + ".txt"
    r = upload(client, name, b"quarterly numbers")
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "size": 17}
    r = client.get(f"/files/{name}")
    assert r.status_code == 200
    assert r.content == b"quarterly numbers"
    assert "attachment" in r.headers.get("content-disposition", "")


def test_listing_is_sorted_with_sizes(client, unique):
    base = unique("list")
    upload(client, f"{base}-b.bin", b"12345")
    upload(client, f"{base}-a.bin", b"1")
    listed = [f for f in client.get("/files").json() if f["name"].startswith(base)]
    assert listed == [{"name": f"{base}-a.bin", "size": 1}, {"name": f"{base}-b.bin", "size": 5}]
    everything = [f["name"] for f in client.get("/files").json()]
    assert everything == sorted(everything)


def test_same_name_replaces(client, unique):
    name = unique("draft") + ".txt"
    upload(client, name, b"first")
    assert upload(client, name, b"second version").status_code == 201
    assert client.get(f"/files/{name}").content == b"second version"


def test_near_limit_file_is_accepted(client, unique):
    name = unique("big") + ".bin"
    assert upload(client, name, b"x" * 900_000).status_code == 201


def test_missing_file_is_404(client):
    assert client.get("/files/never-uploaded.txt").status_code == 404


def test_upload_without_file_is_400(client):
    assert client.post("/files", data={"other": "x"}).status_code == 400
