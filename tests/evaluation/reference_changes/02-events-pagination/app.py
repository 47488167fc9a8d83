"""An append-only audit log of what happened in other services."""

import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, g, jsonify, request

DB = os.environ.get("DATABASE_PATH", "events.db")
app = Flask(__name__)


def db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(DB)
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close(_exc: BaseException | None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


with sqlite3.connect(DB) as c:
    c.execute(
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
        "message TEXT NOT NULL, created_at TEXT NOT NULL)"
    )


@app.post("/events")
def add_event():
    body = request.get_json(silent=True) or {}
    kind, message = body.get("kind"), body.get("message")
    if not isinstance(kind, str) or not 1 <= len(kind) <= 40:
        return jsonify(error="kind must be 1-40 characters"), 400
    if not isinstance(message, str) or not 1 <= len(message) <= 1000:
        return jsonify(error="message must be 1-1000 characters"), 400
    now = datetime.now(UTC).isoformat()
    cur = db().execute(
        "INSERT INTO events (kind, message, created_at) VALUES (?, ?, ?)", (kind, message, now)
    )
    db().commit()
    return jsonify(id=cur.lastrowid, kind=kind, message=message, created_at=now), 201


def _whole(name: str, default: int, low: int, high: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():  # also refuses "-1", "1e3", " 5"
        return None
    value = int(raw)
    return value if value >= low and (high is None or value <= high) else None


@app.get("/events")
def list_events():
    limit, offset = _whole("limit", 20, 1, 100), _whole("offset", 0, 0, None)
    if limit is None or offset is None:
        return jsonify(error="limit must be 1-100 and offset 0 or more"), 400
    sql, args = "SELECT * FROM events", []
    kind = request.args.get("kind")
    if kind is not None:
        sql += " WHERE kind = ?"
        args.append(kind)
    rows = db().execute(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", [*args, limit, offset])
    return jsonify([dict(r) for r in rows.fetchall()])
