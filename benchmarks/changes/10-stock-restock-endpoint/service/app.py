"""Stock levels of a small warehouse."""

import hmac
import os
import sqlite3
from functools import wraps

from flask import Flask, jsonify, request

DB = os.environ.get("DATABASE_PATH", "stock.db")
API_KEY = os.environ.get("ADMIN_API_KEY", "")
app = Flask(__name__)

with sqlite3.connect(DB) as c:
    c.execute("CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, name TEXT, stock INTEGER)")


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    return conn


def admin_only(view):
    @wraps(view)
    def checked(*args, **kwargs):
        given = request.headers.get("X-Api-Key", "")
        if not API_KEY or not hmac.compare_digest(given.encode(), API_KEY.encode()):
            return jsonify(error="a valid X-Api-Key is required"), 401
        return view(*args, **kwargs)

    return checked


@app.post("/items")
@admin_only
def add_item():
    body = request.get_json(silent=True) or {}
    sku, name = body.get("sku"), body.get("name")
    if not isinstance(sku, str) or not sku.isalnum() or len(sku) > 20:
        return jsonify(error="sku must be up to 20 letters and digits"), 400
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return jsonify(error="name must be 1-100 characters"), 400
    try:
        with db() as conn:
            conn.execute("INSERT INTO items VALUES (?, ?, 0)", (sku, name))
    except sqlite3.IntegrityError:
        return jsonify(error="sku exists"), 409
    return jsonify(sku=sku, name=name, stock=0), 201


@app.get("/items/<sku>")
def get_item(sku: str):
    with db() as conn:
        row = conn.execute("SELECT * FROM items WHERE sku = ?", (sku,)).fetchone()
    return (jsonify(dict(row)), 200) if row else (jsonify(error="no such item"), 404)
