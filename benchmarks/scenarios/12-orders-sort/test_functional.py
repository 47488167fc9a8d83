def record(client, customer, total):
    r = client.post("/orders", json={"customer": customer, "total": total})
    assert r.status_code == 201, r.text
    return r.json()


def test_record_order(client, unique):
    customer = unique("acme")
    order = record(client, customer, 12.5)
    assert order["customer"] == customer and order["total"] == 12.5
    assert isinstance(order["id"], int)


def test_default_sort_is_by_id(client, unique):
    customer = unique("globex")
    ids = [record(client, customer, t)["id"] for t in (30, 10, 20)]
    r = client.get("/orders", params={"customer": customer})
    assert r.status_code == 200
    assert [o["id"] for o in r.json()] == sorted(ids)


def test_sort_by_total(client, unique):
    customer = unique("initech")
    for total in (30, 10, 20):
        record(client, customer, total)
    r = client.get("/orders", params={"customer": customer, "sort": "total"})
    assert [o["total"] for o in r.json()] == [10, 20, 30]


def test_only_that_customers_orders(client, unique):
    mine, other = unique("mine"), unique("other")
    record(client, mine, 1)
    record(client, other, 2)
    assert {o["customer"] for o in client.get("/orders", params={"customer": mine}).json()} == {
        mine
    }


def test_unknown_sort_is_refused(client, unique, invalid):
    assert invalid(client.get("/orders", params={"customer": unique("x"), "sort": "price"}))
