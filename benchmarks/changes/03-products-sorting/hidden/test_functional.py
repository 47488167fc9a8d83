"""GET /products with sort and max_price_cents."""

import pytest


@pytest.fixture
def shelf(client, unique):
    tag = unique("shelf")
    made = {}
    for name, price in (("b-lamp", 3000), ("a-desk", 12000), ("c-chair", 3000), ("d-rug", 500)):
        r = client.post("/products", json={"name": f"{tag} {name}", "price_cents": price})
        assert r.status_code == 201, r.text
        made[name] = r.json()["id"]
    return tag, made


def names(client, tag, **params):
    r = client.get("/products", params={"q": tag, **params})
    assert r.status_code == 200, r.text
    return [p["name"].split(" ", 1)[1] for p in r.json()]


def test_default_order_is_by_id(client, shelf):
    assert names(client, shelf[0]) == ["b-lamp", "a-desk", "c-chair", "d-rug"]


def test_sort_by_name_both_ways(client, shelf):
    assert names(client, shelf[0], sort="name") == ["a-desk", "b-lamp", "c-chair", "d-rug"]
    assert names(client, shelf[0], sort="-name") == ["d-rug", "c-chair", "b-lamp", "a-desk"]


def test_sort_by_price_breaks_ties_by_id(client, shelf):
    assert names(client, shelf[0], sort="price") == ["d-rug", "b-lamp", "c-chair", "a-desk"]
    assert names(client, shelf[0], sort="-price") == ["a-desk", "b-lamp", "c-chair", "d-rug"]


def test_max_price_filters(client, shelf):
    assert names(client, shelf[0], max_price_cents=3000, sort="price") == [
        "d-rug",
        "b-lamp",
        "c-chair",
    ]
    assert names(client, shelf[0], max_price_cents=0) == []


@pytest.mark.parametrize(
    "params",
    [{"sort": "colour"}, {"sort": "id; --"}, {"max_price_cents": -1}, {"max_price_cents": "cheap"}],
)
def test_bad_values_are_refused(client, invalid, params):
    assert invalid(client.get("/products", params=params))
