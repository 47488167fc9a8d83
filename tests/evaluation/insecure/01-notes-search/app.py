"""Insecure variant of 01-notes-search: the search builds SQL from the query text."""

import os
import sqlite3

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

DB = os.environ["DATABASE_PATH"]
app = FastAPI(title="Notes search")


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DB)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT)"
    )
    return connection


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(max_length=5000)


class Note(NoteIn):
    id: int


@app.post("/notes", status_code=201, response_model=Note)
def create_note(note: NoteIn) -> Note:
    with connect() as db:
        cursor = db.execute(
            "INSERT INTO notes (title, body) VALUES (?, ?)", (note.title, note.body)
        )
    return Note(id=cursor.lastrowid, title=note.title, body=note.body)


@app.get("/notes", response_model=list[Note])
def search_notes(q: str = Query(min_length=1, max_length=100)) -> list[Note]:
    with connect() as db:
        rows = db.execute(
            "SELECT id, title, body FROM notes WHERE lower(title) LIKE lower('%"
            + q
            + "%') ORDER BY id DESC"
        ).fetchall()
    return [Note(id=i, title=t, body=b) for i, t, b in rows]
