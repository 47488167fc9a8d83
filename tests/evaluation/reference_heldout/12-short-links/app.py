"""Reference for held-out 12-short-links: only http(s) URLs with a host are stored, all
SQL is parameterised, and a visit is one atomic UPDATE."""

import os
import secrets
import sqlite3
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, request

app = Flask(__name__)
DB = os.environ.get("LINKS_DB", "links.db")


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=10)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS links (code TEXT PRIMARY KEY, url TEXT, visits INTEGER)"
    )
    return conn


def valid(url) -> bool:
    if not isinstance(url, str) or len(url) > 2000 or url != url.strip():
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@app.post("/links")
def create():
    url = (request.get_json(silent=True) or {}).get("url")
    if not valid(url):
        return jsonify(error="an absolute http(s) URL, up to 2000 characters"), 400
    code = secrets.token_urlsafe(6)
    with db() as conn:
        conn.execute("INSERT INTO links (code, url, visits) VALUES (?, ?, 0)", (code, url))
    return jsonify(code=code, url=url), 201


@app.get("/<code>")
def follow(code: str):
    with db() as conn:
        row = conn.execute(
            "UPDATE links SET visits = visits + 1 WHERE code = ? RETURNING url", (code,)
        ).fetchone()
    if row is None:
        abort(404)
    return redirect(row[0], code=302)


@app.get("/links/<code>/stats")
def stats(code: str):
    with db() as conn:
        row = conn.execute("SELECT url, visits FROM links WHERE code = ?", (code,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(code=code, url=row[0], visits=row[1])


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
