"""Reference for held-out 05-profile-session: Flask's signed session with the secret from
APP_SECRET, passlib hashes, and Jinja's autoescaping for the page."""

import os
import re
import sqlite3

from flask import Flask, abort, jsonify, render_template_string, request, session
from passlib.hash import pbkdf2_sha256

app = Flask(__name__)
app.secret_key = os.environ["APP_SECRET"]
app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
DB = os.environ.get("USERS_DB", "users.db")
NAME = re.compile(r"^[A-Za-z0-9_]{3,30}$")
PAGE = """<!doctype html>
<html><head><title>{{ name }}</title></head>
<body><h1>{{ name }}</h1><p>{{ bio }}</p></body></html>"""


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=10)
    conn.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT, bio TEXT)")
    return conn


def credentials():
    body = request.get_json(silent=True) or {}
    name, password = body.get("username"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        return None, None
    return name, password


@app.post("/signup")
def signup():
    name, password = credentials()
    if name is None or not NAME.match(name) or len(password) < 8:
        return jsonify(error="invalid username or password"), 400
    try:
        with db() as conn:
            conn.execute(
                "INSERT INTO users (name, hash, bio) VALUES (?, ?, '')",
                (name, pbkdf2_sha256.hash(password)),
            )
    except sqlite3.IntegrityError:
        return jsonify(error="username taken"), 409
    return jsonify(username=name), 201


@app.post("/login")
def login():
    name, password = credentials()
    with db() as conn:
        row = conn.execute("SELECT hash FROM users WHERE name = ?", (name,)).fetchone()
    if name is None or row is None or not pbkdf2_sha256.verify(password, row[0]):
        return jsonify(error="wrong username or password"), 401
    session.clear()
    session["user"] = name
    return jsonify(username=name)


@app.put("/profile")
def profile():
    name = session.get("user")
    if not name:
        return jsonify(error="not logged in"), 401
    bio = (request.get_json(silent=True) or {}).get("bio")
    if not isinstance(bio, str) or len(bio) > 500:
        return jsonify(error="bio: up to 500 characters"), 400
    with db() as conn:
        conn.execute("UPDATE users SET bio = ? WHERE name = ?", (bio, name))
    return jsonify(username=name, bio=bio)


@app.get("/u/<username>")
def page(username: str):
    with db() as conn:
        row = conn.execute("SELECT name, bio FROM users WHERE name = ?", (username,)).fetchone()
    if row is None:
        abort(404)
    return render_template_string(PAGE, name=row[0], bio=row[1])


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
