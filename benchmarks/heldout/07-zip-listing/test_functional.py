import io
import zipfile


def make_zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def upload(client, name, data):
    return client.post("/archives", files={"file": (name, data, "application/zip")})


def test_upload_lists_entries(client, unique):
    name = unique("docs") + ".zip"
    r = upload(client, name, make_zip({"a.txt": "alpha", "dir/b.txt": "beta"}))
    assert r.status_code == 201, r.text
    assert r.json() == {"name": name, "entries": ["a.txt", "dir/b.txt"]}


def test_listing_is_unzip_output(client, unique):
    name = unique("list") + ".zip"
    upload(client, name, make_zip({"a.txt": "alpha", "dir/b.txt": "beta"}))
    r = client.get(f"/archives/{name}/listing")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "Archive:" in r.text and "a.txt" in r.text and "dir/b.txt" in r.text
    assert "2 files" in r.text


def test_member_content(client, unique):
    name = unique("read") + ".zip"
    upload(client, name, make_zip({"dir/b.txt": "beta contents"}))
    r = client.get(f"/archives/{name}/files", params={"path": "dir/b.txt"})
    assert r.status_code == 200
    assert r.content == b"beta contents"
    assert client.get(f"/archives/{name}/files", params={"path": "nope.txt"}).status_code == 404


def test_missing_archive_is_404(client):
    assert client.get("/archives/never-uploaded.zip/listing").status_code == 404


def test_bad_uploads_are_400(client, unique):
    assert upload(client, unique("x") + ".zip", b"not a zip at all").status_code == 400
    assert upload(client, unique("x") + ".txt", make_zip({"a": "b"})).status_code == 400
