"""POST /items/<sku>/restock adds to the stock."""

import os

import pytest


@pytest.fixture
def admin():
    return {"X-Api-Key": os.environ["ADMIN_API_KEY"]}


@pytest.fixture
def sku(client, admin, unique):
    sku = unique("bolt").replace("-", "")
    assert (
        client.post("/items", json={"sku": sku, "name": "M6 bolt"}, headers=admin).status_code
        == 201
    )
    return sku


def test_restock_adds_up(client, admin, sku):
    r = client.post(f"/items/{sku}/restock", json={"quantity": 40}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["stock"] == 40
    r = client.post(f"/items/{sku}/restock", json={"quantity": 2}, headers=admin)
    assert r.json() == {"sku": sku, "name": "M6 bolt", "stock": 42}
    assert client.get(f"/items/{sku}").json()["stock"] == 42


def test_unknown_sku_is_404(client, admin):
    assert (
        client.post("/items/nosuchsku999/restock", json={"quantity": 1}, headers=admin).status_code
        == 404
    )


@pytest.mark.parametrize("quantity", [0, -5, 10001, "3", 2.5, None, True])
def test_bad_quantities_are_refused(client, admin, sku, quantity):
    r = client.post(f"/items/{sku}/restock", json={"quantity": quantity}, headers=admin)
    assert r.status_code == 400, quantity
    assert client.get(f"/items/{sku}").json()["stock"] == 0


def test_edges_are_accepted(client, admin, sku):
    for q in (1, 10000):
        assert (
            client.post(f"/items/{sku}/restock", json={"quantity": q}, headers=admin).status_code
            == 200
        )
