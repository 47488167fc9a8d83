def add(client, name, price=1.5):
    r = client.post("/products", json={"name": name, "price": price})
    assert r.status_code == 201, r.text
    return r.json()


def test_add_product(client, unique):
    name = unique("lamp")
    product = add(client, name, 19.99)
    assert product["name"] == name
    assert product["price"] == 19.99
    assert isinstance(product["id"], int)


def test_default_page_is_at_most_20(client, unique):
    for i in range(3):
        add(client, unique(f"item{i}"))
    body = client.get("/products").json()
    assert 3 <= len(body["items"]) <= 20
    assert body["total"] >= 3


def test_pages_are_consecutive_in_id_order(client, unique):
    for i in range(3):
        add(client, unique(f"page{i}"))
    whole = client.get("/products", params={"limit": 3, "offset": 0}).json()["items"]
    second = client.get("/products", params={"limit": 1, "offset": 1}).json()["items"]
    assert len(whole) == 3
    assert [p["id"] for p in whole] == sorted(p["id"] for p in whole)
    assert second == [whole[1]]


def test_total_counts_all_products(client, unique):
    before = client.get("/products").json()["total"]
    add(client, unique("extra"))
    assert client.get("/products", params={"limit": 1}).json()["total"] == before + 1


def test_limit_over_100_is_refused(client, invalid):
    assert invalid(client.get("/products", params={"limit": 101}))


def test_negative_price_is_refused(client, invalid, unique):
    assert invalid(client.post("/products", json={"name": unique("bad"), "price": -1}))
