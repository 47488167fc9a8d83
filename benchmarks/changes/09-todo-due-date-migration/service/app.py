"""A to-do list."""

import os
import sqlite3

import migrate
from flask import Flask, jsonify, request

DB = os.environ.get("DATABASE_PATH", "todo.db")
migrate.upgrade(DB)
app = Flask(__name__)


def db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB)
    conn.row_factory = sqlite3.Row
    return conn


def as_json(row: sqlite3.Row) -> dict:
    task = dict(row)
    task["done"] = bool(task["done"])
    return task


@app.post("/tasks")
def add_task():
    body = request.get_json(silent=True) or {}
    title = body.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 200:
        return jsonify(error="title must be 1-200 characters"), 400
    with db() as conn:
        cur = conn.execute("INSERT INTO tasks (title) VALUES (?)", (title,))
        row = conn.execute("SELECT * FROM tasks WHERE id = ?", (cur.lastrowid,)).fetchone()
    return jsonify(as_json(row)), 201


@app.get("/tasks")
def list_tasks():
    with db() as conn:
        return jsonify([as_json(r) for r in conn.execute("SELECT * FROM tasks ORDER BY id")])


@app.post("/tasks/<int:task_id>/done")
def finish(task_id: int):
    with db() as conn:
        conn.execute("UPDATE tasks SET done = 1 WHERE id = ?", (task_id,))
        row = conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        return jsonify(error="no such task"), 404
    return jsonify(as_json(row))
