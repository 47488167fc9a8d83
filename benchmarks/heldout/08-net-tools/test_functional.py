def test_localhost_resolves(client):
    r = client.get("/resolve", params={"host": "localhost"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["host"] == "localhost"
    assert any(a in ("127.0.0.1", "::1") for a in body["addresses"])


def test_unknown_host_is_404(client):
    assert client.get("/resolve", params={"host": "no-such-host.invalid"}).status_code == 404


def test_ssh_service(client):
    r = client.get("/services/ssh")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "ssh", "port": 22, "protocol": "tcp"}


def test_unknown_service_is_404(client):
    assert client.get("/services/no-such-service-x").status_code == 404


def test_lengths_are_checked(client, invalid):
    assert invalid(client.get("/resolve", params={"host": "a" * 254}))
    assert invalid(client.get("/services/" + "s" * 33))
