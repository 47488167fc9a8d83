import re
import zlib


def pdf_text(data: bytes) -> bytes:
    """The PDF's bytes plus its streams, inflated where compressed."""
    parts = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            parts.append(stream)
    return b"\n".join(parts)


def shows(data: bytes, text: str) -> bool:
    content = pdf_text(data)
    hexed = text.encode().hex()
    return text.encode() in content or hexed.encode() in content.lower()


INVOICE = {
    "customer": "Acme Widgets",
    "items": [
        {"description": "Sprocket", "quantity": 3, "unit_price": 19.99},
        {"description": "Setup fee", "quantity": 1, "unit_price": 5},
    ],
}


def test_create_returns_id_and_total(client):
    r = client.post("/invoices", json=INVOICE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body["id"], int)
    assert round(body["total"], 2) == 64.97


def test_pdf_shows_the_invoice(client):
    invoice_id = client.post("/invoices", json=INVOICE).json()["id"]
    r = client.get(f"/invoices/{invoice_id}/pdf")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/pdf")
    assert r.content.startswith(b"%PDF")
    assert shows(r.content, "Acme Widgets")
    assert shows(r.content, "Sprocket")


def test_each_invoice_gets_its_own_id(client):
    a = client.post("/invoices", json=INVOICE).json()["id"]
    b = client.post("/invoices", json={**INVOICE, "customer": "Other Co"}).json()["id"]
    assert a != b


def test_unknown_invoice_is_404(client):
    assert client.get("/invoices/99999999/pdf").status_code == 404


def test_invalid_invoices_are_400(client):
    assert client.post("/invoices", json={"items": INVOICE["items"]}).status_code == 400
    assert client.post("/invoices", json={"customer": "X", "items": []}).status_code == 400
    bad_quantity = {"customer": "X", "items": [{**INVOICE["items"][0], "quantity": 0}]}
    assert client.post("/invoices", json=bad_quantity).status_code == 400
