"""Reference for held-out 03-invoice-pdf: every field is checked against the stated
limits before anything is stored or rendered."""

import json
import math
import os
import sqlite3

from flask import Flask, Response, jsonify, request
from fpdf import FPDF

app = Flask(__name__)
DB = os.environ.get("INVOICE_DB", "invoices.db")


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=10)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS invoices"
        " (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT, items TEXT, total REAL)"
    )
    return conn


def text(value, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit


def number(value, low: float, high: float, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if whole and not isinstance(value, int):
        return False
    return math.isfinite(value) and low <= value <= high


def problem(body) -> str | None:
    if not isinstance(body, dict):
        return "expected a JSON object"
    if not text(body.get("customer"), 100):
        return "customer: 1 to 100 characters"
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        return "items: 1 to 50 lines"
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not text(item.get("description"), 200):
            return f"items[{i}].description: 1 to 200 characters"
        if not number(item.get("quantity"), 1, 1000, whole=True):
            return f"items[{i}].quantity: a whole number from 1 to 1000"
        if not number(item.get("unit_price"), 0, 100000, whole=False):
            return f"items[{i}].unit_price: from 0 to 100000"
    return None


@app.post("/invoices")
def create():
    body = request.get_json(silent=True)
    error = problem(body)
    if error:
        return jsonify(error=error), 400
    items = [
        {"description": i["description"], "quantity": i["quantity"], "unit_price": i["unit_price"]}
        for i in body["items"]
    ]
    total = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
    with db() as conn:
        cur = conn.execute(
            "INSERT INTO invoices (customer, items, total) VALUES (?, ?, ?)",
            (body["customer"], json.dumps(items), total),
        )
    return jsonify(id=cur.lastrowid, total=total), 201


def latin(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


@app.get("/invoices/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    with db() as conn:
        row = conn.execute(
            "SELECT customer, items, total FROM invoices WHERE id = ?", (invoice_id,)
        ).fetchone()
    if row is None:
        return jsonify(error="no such invoice"), 404
    customer, items, total = row[0], json.loads(row[1]), row[2]
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=16)
    doc.cell(0, 10, latin(f"Invoice {invoice_id}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=11)
    doc.cell(0, 8, latin(customer), new_x="LMARGIN", new_y="NEXT")
    for item in items:
        line = f"{item['quantity']} x {item['description']} @ {item['unit_price']:.2f}"
        doc.multi_cell(0, 7, latin(line), new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 10, f"Total: {total:.2f}", new_x="LMARGIN", new_y="NEXT")
    return Response(bytes(doc.output()), mimetype="application/pdf")


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
