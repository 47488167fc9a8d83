"""Sign-ups for an evening course."""

import os
import re
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


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FIELDS = {"name", "email", "age"}


def problem(body: dict) -> str | None:
    """What is wrong with a sign-up, naming the field; None when it is valid."""
    unknown = set(body) - FIELDS
    if unknown:
        return f"unknown field: {sorted(unknown)[0]}"
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 80:
        return "name must be 1-80 characters"
    if not name.isprintable():
        return "name must not hold control characters"
    email = body.get("email")
    if not isinstance(email, str) or len(email) > 254 or not EMAIL.fullmatch(email):
        return "email must be an address like someone@example.org"
    age = body.get("age")
    if type(age) is not int or not 16 <= age <= 120:
        return "age must be a whole number from 16 to 120"
    return None


@app.post("/signups")
def sign_up():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="send a JSON object"), 400
    wrong = problem(body)
    if wrong:
        return jsonify(error=wrong), 400
    name, email, age = body["name"].strip(), body["email"], body["age"]
    with db() as conn:
        cur = conn.execute(
            "INSERT INTO signups (name, email, age) VALUES (?, ?, ?)", (name, email, age)
        )
    return jsonify(id=cur.lastrowid, name=name, email=email, age=age), 201


@app.get("/signups/<int:signup_id>")
def get_signup(signup_id: int):
    with db() as conn:
        row = conn.execute("SELECT * FROM signups WHERE id = ?", (signup_id,)).fetchone()
    if row is None:
        return jsonify(error="no such sign-up"), 404
    return jsonify(dict(row))
