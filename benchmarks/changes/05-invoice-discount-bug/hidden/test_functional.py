"""Invoice totals with a discount over several lines."""

import pytest


def invoice(client, lines, discount):
    body = {
        "customer": "Acme",
        "discount_percent": discount,
        "lines": [
            {"description": f"item {i}", "unit_price_cents": p, "quantity": q}
            for i, (p, q) in enumerate(lines)
        ],
    }
    r = client.post("/invoices", json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(
    ("lines", "discount", "expected"),
    [
        ([(10_000, 1), (2_500, 2)], 10, (15_000, 1_500, 13_500)),
        ([(999, 3), (1, 1), (1_000, 1)], 15, (3_998, 600, 3_398)),
        ([(100, 1), (100, 1), (100, 1)], 0, (300, 0, 300)),
        ([(333, 1), (333, 1), (334, 1)], 100, (1_000, 1_000, 0)),
        ([(105, 1), (0, 4)], 10, (105, 11, 94)),
    ],
)
def test_totals(client, lines, discount, expected):
    got = invoice(client, lines, discount)
    assert (got["subtotal_cents"], got["discount_cents"], got["total_cents"]) == expected


def test_an_invoice_reads_back_the_same(client):
    made = invoice(client, [(1_000, 2), (500, 1)], 20)
    assert client.get(f"/invoices/{made['id']}").json() == made
    assert made["total_cents"] == 2_000


def test_unknown_invoice_is_404(client):
    assert client.get("/invoices/987654321").status_code == 404
