import time
from urllib.parse import quote


def path(name):
    return "/pages/" + quote(name, safe="")


def test_visits_are_counted(client, unique):
    name = unique("home")
    assert client.post(path(name) + "/visits").json() == {"page": name, "visits": 1}
    assert client.post(path(name) + "/visits").json()["visits"] == 2
    r = client.get(path(name))
    assert r.status_code == 200
    assert r.json() == {"page": name, "visits": 2}


def test_unvisited_page_has_zero(client, unique):
    name = unique("never")
    assert client.get(path(name)).json() == {"page": name, "visits": 0}


def test_names_with_quotes_and_spaces(client, unique):
    name = unique("o'brien's page")
    client.post(path(name) + "/visits")
    assert client.get(path(name)).json() == {"page": name, "visits": 1}


def test_pages_are_counted_separately(client, unique):
    a, b = unique("a"), unique("b")
    client.post(path(a) + "/visits")
    assert client.get(path(b)).json()["visits"] == 0


def test_uptime_ticks_once_per_second(client):
    first = client.get("/uptime").json()["ticks"]
    time.sleep(2.5)
    second = client.get("/uptime").json()["ticks"]
    assert 1 <= second - first <= 4, (first, second)
