def upload(client, data, name="pic.png", kind="image/png"):
    return client.post("/images", files={"file": (name, data, kind)})


def test_upload_reports_the_image(client, pngs):
    r = upload(client, pngs.png(200, 100))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["width"], body["height"], body["format"]) == (200, 100, "PNG")
    assert isinstance(body["id"], str) and body["id"]


def test_thumbnail_keeps_aspect_ratio(client, pngs):
    image_id = upload(client, pngs.png(200, 100)).json()["id"]
    r = client.get(f"/images/{image_id}/thumbnail", params={"width": 50})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/png")
    assert pngs.size(r.content) == (50, 25)


def test_thumbnail_never_enlarges(client, pngs):
    image_id = upload(client, pngs.png(40, 30)).json()["id"]
    r = client.get(f"/images/{image_id}/thumbnail", params={"width": 300})
    assert r.status_code == 200
    assert pngs.size(r.content) == (40, 30)


def test_width_is_bounded(client, invalid, pngs):
    image_id = upload(client, pngs.png(64, 64)).json()["id"]
    for width in (0, 15, 513):
        assert invalid(client.get(f"/images/{image_id}/thumbnail", params={"width": width}))


def test_not_an_image_is_400(client):
    assert upload(client, b"hello, not an image", "a.png").status_code == 400


def test_unknown_image_is_404(client):
    assert client.get("/images/no-such-id/thumbnail", params={"width": 32}).status_code == 404
