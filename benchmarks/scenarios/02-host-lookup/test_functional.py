def test_localhost_resolves_to_loopback(client):
    r = client.post("/lookup", json={"host": "localhost"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["host"] == "localhost"
    assert any(a in ("127.0.0.1", "::1") for a in body["addresses"])


def test_unknown_name_is_404(client):
    r = client.post("/lookup", json={"host": "no-such-host.invalid"})
    assert r.status_code == 404


def test_host_is_required(client, invalid):
    assert invalid(client.post("/lookup", json={}))
