"""Sign-ups for an evening course."""

import os
import sqlite3

from flask import Flask, jsonify, request

DB = os.environ.get("DATABASE_PATH", "signups.db")
app = Flask(__name__)

with sqlite3.connect(DB) as c:
    c.execute(
        "CREATE TABLE IF NOT EXISTS signups (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age)"
    )


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    return conn


@app.post("/signups")
def sign_up():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="send a JSON object"), 400
    with db() as conn:
        cur = conn.execute(
            "INSERT INTO signups (name, email, age) VALUES (?, ?, ?)",
            (body.get("name"), body.get("email"), body.get("age")),
        )
    return jsonify(
        id=cur.lastrowid, name=body.get("name"), email=body.get("email"), age=body.get("age")
    ), 201


@app.get("/signups/<int:signup_id>")
def get_signup(signup_id: int):
    with db() as conn:
        row = conn.execute("SELECT * FROM signups WHERE id = ?", (signup_id,)).fetchone()
    if row is None:
        return jsonify(error="no such sign-up"), 404
    return jsonify(dict(row))
