"""A shop's back office: customers, orders and a summary per customer."""

import os
import sqlite3

from flask import Flask, jsonify, request

DB = os.environ.get("DATABASE_PATH", "backoffice.db")
app = Flask(__name__)

with sqlite3.connect(DB) as c:
    c.executescript(
        """
        CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
            card_token TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id), total_cents INTEGER NOT NULL);
        """
    )


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    return conn


@app.post("/customers")
def add_customer():
    body = request.get_json(silent=True) or {}
    name, card = body.get("name"), body.get("card_token")
    if not isinstance(name, str) or not 1 <= len(name) <= 120 or not isinstance(card, str):
        return jsonify(error="name (1-120 characters) and card_token are required"), 400
    with db() as conn:
        cur = conn.execute("INSERT INTO customers (name, card_token) VALUES (?, ?)", (name, card))
    return jsonify(id=cur.lastrowid, name=name), 201


@app.post("/customers/<int:customer_id>/orders")
def add_order(customer_id: int):
    total = (request.get_json(silent=True) or {}).get("total_cents")
    if type(total) is not int or not 0 < total <= 10_000_000:
        return jsonify(error="total_cents must be 1-10000000"), 400
    with db() as conn:
        if conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
            return jsonify(error="no such customer"), 404
        cur = conn.execute(
            "INSERT INTO orders (customer_id, total_cents) VALUES (?, ?)", (customer_id, total)
        )
    return jsonify(id=cur.lastrowid, customer_id=customer_id, total_cents=total), 201


@app.get("/customers/summary")
def summary():
    # One grouped query instead of two per customer.
    sql = (
        "SELECT c.id, c.name, count(o.id) AS orders, "
        "coalesce(sum(o.total_cents), 0) AS total_cents "
        "FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id"
    )
    conn = db()
    try:
        return jsonify([dict(r) for r in conn.execute(sql)])
    finally:
        conn.close()
