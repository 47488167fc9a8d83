"""GET /customers/summary: the same JSON, from a fixed number of queries."""

import sqlite3

import pytest


def seed(client, name, totals):
    r = client.post("/customers", json={"name": name, "card_token": "tok_test"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for total in totals:
        assert (
            client.post(f"/customers/{cid}/orders", json={"total_cents": total}).status_code == 201
        )
    return cid


def test_summary_per_customer(client, unique):
    a = seed(client, unique("Ann"), [1000, 250])
    b = seed(client, unique("Bob"), [])
    rows = {r["id"]: r for r in client.get("/customers/summary").json()}
    assert rows[a]["orders"] == 2 and rows[a]["total_cents"] == 1250
    assert rows[b]["orders"] == 0 and rows[b]["total_cents"] == 0
    assert set(rows[a]) == {"id", "name", "orders", "total_cents"}
    assert list(rows) == sorted(rows)


@pytest.mark.parametrize("customers", [4, 40])
def test_a_fixed_number_of_queries(load_service, tmp_path, monkeypatch, customers):
    module = load_service("app", DATABASE_PATH=str(tmp_path / f"summary-{customers}.db"))
    client = module.app.test_client()
    for n in range(customers):
        cid = client.post("/customers", json={"name": f"c{n}", "card_token": "t"}).get_json()["id"]
        client.post(f"/customers/{cid}/orders", json={"total_cents": 100 + n})
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    r = client.get("/customers/summary")
    monkeypatch.undo()
    assert r.status_code == 200 and len(r.get_json()) == customers
    assert r.get_json()[-1]["total_cents"] == 100 + customers - 1
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) <= 3, f"{len(selects)} SELECTs for {customers} customers"
