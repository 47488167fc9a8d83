def shorten(client, url):
    r = client.post("/links", json={"url": url})
    assert r.status_code == 201, r.text
    assert r.json()["url"] == url
    return r.json()["code"]


def test_redirect_and_count(client, unique):
    url = f"https://example.com/{unique('page')}?a=1&b=2"
    code = shorten(client, url)
    for _ in range(3):
        r = client.get(f"/{code}")
        assert r.status_code == 302
        assert r.headers["location"] == url
    assert client.get(f"/links/{code}/stats").json() == {"code": code, "url": url, "visits": 3}


def test_new_link_has_no_visits(client, unique):
    code = shorten(client, f"http://example.org/{unique('x')}")
    assert client.get(f"/links/{code}/stats").json()["visits"] == 0


def test_codes_differ(client, unique):
    assert shorten(client, "https://a.example/" + unique("a")) != shorten(
        client, "https://b.example/"
    )


def test_unknown_code_is_404(client):
    assert client.get("/zzzzzzzzzzzz").status_code == 404
    assert client.get("/links/zzzzzzzzzzzz/stats").status_code == 404


def test_bad_urls_are_400(client):
    for url in ["not a url", "example.com/path", "ftp://example.com/file", "https://" + "a" * 2000]:
        assert client.post("/links", json={"url": url}).status_code == 400, url
