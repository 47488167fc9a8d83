def repeat(client, text, times):
    return client.post("/repeat", json={"text": text, "times": times})


def test_repeats(client):
    r = repeat(client, "ab", 3)
    assert r.status_code == 200, r.text
    assert r.json() == {"result": "ababab"}


def test_zero_times_is_empty(client):
    assert repeat(client, "ab", 0).json() == {"result": ""}


def test_exactly_the_cap_is_allowed(client):
    r = repeat(client, "x" * 100, 100)
    assert r.status_code == 200
    assert len(r.json()["result"]) == 10_000


def test_over_the_cap_is_400(client):
    assert repeat(client, "x" * 100, 101).status_code == 400


def test_negative_times_is_refused(client, invalid):
    assert invalid(repeat(client, "a", -1))
