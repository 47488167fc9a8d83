"""Reference for held-out 06-doc-search: parameterised SQL, LIKE with an escape
character so that q is plain text, private documents filtered in the query."""

import os
import sqlite3

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

app = FastAPI(title="Document search")
DB = os.environ.get("DOCS_DB", "docs.db")


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=10)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS docs"
        " (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, body TEXT, private INTEGER)"
    )
    return conn


class DocumentIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10000)
    private: bool = False


@app.post("/documents", status_code=201)
def create(doc: DocumentIn) -> dict[str, object]:
    with connect() as conn:
        cur = conn.execute(
            "INSERT INTO docs (title, body, private) VALUES (?, ?, ?)",
            (doc.title, doc.body, int(doc.private)),
        )
    return {"id": cur.lastrowid, "title": doc.title, "private": doc.private}


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@app.get("/search")
def search(q: str = Query(min_length=1, max_length=100)) -> list[dict[str, object]]:
    pattern = like_pattern(q.lower())
    with connect() as conn:
        rows = conn.execute(
            "SELECT id, title FROM docs WHERE private = 0 AND"
            " (lower(title) LIKE ? ESCAPE '\\' OR lower(body) LIKE ? ESCAPE '\\') ORDER BY id",
            (pattern, pattern),
        ).fetchall()
    return [{"id": row[0], "title": row[1]} for row in rows]
